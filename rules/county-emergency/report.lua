-- 突发事件信息报告时限 (reporting time limits) at the county.
-- 004 规范值守应急工作 2: 严格按照《县突发事件报告范围与标准》，加强和改进应急
--   信息报送工作，确保突发事件信息及时、准确、安全报送.
-- 004 强化应急值守 1: 进一步强化信息报送工作，实行定期通报制度，规范信息报告的
--   时限、内容及责任，确保不出现迟报、瞒报、漏报、谎报等问题.
-- 004 提升政务值班 2: 进一步严格突发事件信息报送内容、格式、时限要求…杜绝迟报、
--   漏报、谎报、瞒报现象.
-- 004 扎实做好突发事件防范应对 (二): 严格值班纪律和突发事件信息报告制度，杜绝
--   迟报、漏报、瞒报、谎报信息.
--
-- The limits themselves are the county's own (《县突发事件报告范围与标准》) and
-- differ between regions: site settings.
--   ce_first_report_due   首报 (电话) after the event; default bl.AT_ONCE
--                         (1 hour: "立即报告"); met by the report itself, so
--                         a township reporting after it is 迟报 at once.
--   ce_written_report_due 书面报告 after the event; default 4 hours (国家突发
--                         公共事件总体应急预案 4.2: 最迟不得超过4小时); met by an
--                         update with form = "written".
-- 续报 within bl.FOLLOW_UP (24 hours).  迟报 and 漏报 are the ledger (GET
-- /v1/compliance); 瞒报 and 谎报 only people can find.
--
-- Reporting goes up the site's units (SPEC §5a): a report is for the unit
-- above the one that files it ("parent.duty", "parent.office": the county's
-- duty room and emergency office hear a township's report, the city's hear
-- the county's own), its grades reach the leaders of that unit, and the
-- reports it still owes are the filing unit's own emergency office's to
-- make ("unit.office": that township's, not every township's).

procedure "ce-report" {
  title = "突发事件信息报告（县）",
  match = function(ev) return true end,     -- every incident reported to the county
  on_open = { notify = { "parent.duty", "parent.office" } },
  obligations = {
    { id = "first-report",
      title = "事发后按时限首报县政府总值班室（《县突发事件报告范围与标准》）",
      due = bl.setting("ce_first_report_due", bl.AT_ONCE), from = "occurred",
      met_by = { type = "report" },
      owner = "unit.office", on_breach = "ce-chain" },
    { id = "written-report",
      title = "事发后按时限报送书面报告（《县突发事件报告范围与标准》）",
      due = bl.setting("ce_written_report_due", "4h"), from = "occurred",
      met_by = { type = { "update", "final" }, form = "written" },
      remind = { "30m" }, owner = "unit.office", on_breach = "ce-chain" },
    bl.followup { owner = "unit.office", on_breach = "ce-chain" },
  },
  grades = {
    [1] = { notify = { "parent.principal", "parent.leader-on-duty" } },
    [2] = { notify = { "parent.principal", "parent.leader-on-duty" } },
    [3] = { notify = { "parent.deputy" } },
  },
  -- 004 健全常备不懈的应急机制 一: 元旦、春节、劳动节、国庆节等重大节日以及其他
  -- 重大特殊敏感时期值班时，严格执行领导带班制度 — the leader on duty hears of
  -- every incident; in a 特防期 the county head too.
  periods = {
    holiday    = { notify = { "parent.leader-on-duty" } },
    heightened = { notify = { "parent.leader-on-duty", "parent.principal" } },
  },
}
