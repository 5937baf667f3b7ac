-- 迟报、漏报、瞒报、谎报 accountability (002-1 三(四): 对迟报、漏报甚至瞒报、
-- 谎报行为要依法追究责任; 002-1 四(四), 002-2 三(六): 责任追究制度).
--
-- 迟报 and 漏报 the engine records by itself: every obligation met after its
-- time is "late", every one never met is "missed", and GET /v1/compliance
-- (tocsinctl compliance) is the ledger the accountability process reads.
-- 瞒报 (concealment) and 谎报 (a false report) only a person can find: the
-- office files the finding as its own incident, category "misreport",
-- attrs.kind = "瞒报" or "谎报", attrs.subject = the incident concerned.
-- The leading group and the discipline body hear at once; the decision on
-- accountability is due within bl.REVIEW_DUE (30 days: the seed gives no
-- time; the national 调查处理 figure), site setting ss_accountability_due.

procedure "ss-misreport" {
  title = "瞒报、谎报责任追究",
  match = { category = "misreport" },
  on_open = { notify = { "leadership", "discipline" } },
  obligations = {
    { id = "accountability",
      title = "依法追究瞒报、谎报责任，作出处理决定（002-1 三(四)）",
      due = bl.setting("ss_accountability_due", bl.REVIEW_DUE),
      met_by = { type = "final" },
      owner = "discipline", on_breach = "ss-days" },
  },
}
