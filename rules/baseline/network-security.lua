-- 网络安全事件报告 (reporting network-security incidents of grade 较大 and
-- above).
-- Source: 国家网络安全事件报告管理办法 (国家互联网信息办公室, 2025) 第四条: an
-- operator that finds a network-security incident grades it (网络安全事件分级
-- 指南) and reports one of 较大, 重大 or 特别重大 within 1 hour if it concerns
-- critical information infrastructure (关键信息基础设施), within 2 hours if
-- the operator is a central or state body (中央和国家机关各部门及其直属单位),
-- within 4 hours otherwise.
-- (The after-action review, 国家网络安全事件应急预案: 原则上在应急响应结束后
-- 30天内完成, is bl.REVIEW_DUE; each pack sets it with its own review.)
--
-- Site setting bl_network_operator: "cii" (1h), "central" (2h) or "other"
-- (4h, the default).
--
-- The duty binds 较大 and above, so it is the obligation of grade 3: owed
-- from the opening when the report says 较大 or worse, and from the event
-- that first grades it 较大 or worse (an assessment, an update) otherwise.
-- The hours count from that grade's moment (from = "graded"): the statute
-- counts from finding a 较大 incident, and an incident found 较大 in the
-- afternoon is not late for a report the morning did not owe (G1,
-- docs/procedures.md).  An incident never graded,
-- or graded 一般, owes nothing; one graded 较大 and later lowered to 一般
-- still owes the report (a lowered grade loosens nothing).

local due = ({ cii = "1h", central = "2h", other = "4h" })[
  bl.setting("bl_network_operator", "other", { "cii", "central", "other" })]

procedure "bl-network-security" {
  title = "网络安全事件报告（较大及以上）",
  match = { category = "network_security" },
  grades = {
    [3] = {
      obligations = {
        { id = "to-network-authority",
          title = "较大及以上网络安全事件按时限向网信、公安等部门报告（国家网络安全事件报告管理办法第四条）",
          due = due, from = "graded",
          met_by = bl.forwarded("network-authority"),
          remind = { "30m" },
          owner = "responsible", on_breach = "bl-standard" },
      },
    },
  },
}
