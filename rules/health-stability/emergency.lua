-- 集体上访、群体性事件、个人极端事件 (collective visits, mass incidents,
-- individual extreme acts) in the health system.
-- 003 (前言): 切实做好全县卫生健康系统集体上访、群体性事件、个人极端事件等突发
--   事件维护稳定工作.
-- 003 二(五): 重大紧急情况及时上报; 二(六): 紧急情况随时上报…单位主要领导和
--   分管副职要保持24小时联络渠道畅通.
--
-- The unit's report opens it; the unit's own head (单位主要领导, "unit.principal":
-- the principal the site binds to that hospital, or the commission's when it
-- binds none), the emergency office, the leading group and the leader on duty
-- hear at once; the commission's own report to the county
-- (superior) is due within bl.PROMPT (2 hours: "及时" has no figure), with
-- a progress report within 24 hours.

procedure "hs-emergency" {
  title = "卫生健康系统集体上访、群体性事件、个人极端事件",
  match = { category = { "mass_incident", "extreme_incident" } },
  on_open = { notify = { "unit.principal", "office", "leadership", "leader-on-duty" } },
  obligations = {
    { id = "to-county",
      title = "重大紧急情况及时上报县委、县政府（003 二(五)）",
      due = bl.PROMPT, met_by = bl.forwarded("superior"),
      remind = { "30m" }, owner = "office", on_breach = "hs-chain" },
    bl.followup { title = "续报处置进展（003 二(六)）",
      owner = "office", on_breach = "hs-chain" },
  },
  grades = {
    [1] = { notify = { "commander", "vice-commander" } },
    [2] = { notify = { "commander", "vice-commander" } },
  },
  periods = { wartime = { notify = { "commander", "vice-commander" } } },
}
