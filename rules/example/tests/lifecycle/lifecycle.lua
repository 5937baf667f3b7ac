-- The obligation lifecycle (docs/rules.md, "Obligation lifecycle"), each
-- element on a clause it encodes.  A test pack: lifecycle.json runs it.

-- 信访事项 自受理之日起…办结 (counted from the acceptance, not from the
-- letter's arrival: from = an event, at the time the acceptance carries);
-- 鉴定、听证期间不计入 (the clock stops and runs on with what was left:
-- pause_on, resume_on).  The figures are shortened for the tests.
procedure "lc-petition" {
  title = "信访事项办理",
  match = { category = "lc_petition" },
  obligations = {
    { id = "conclude", title = "自受理之日起15日内办结（鉴定期间不计入）",
      due = "15cd", from = { type = "accepted" }, at = "attrs.accepted_at",
      pause_on = { type = "suspend" }, resume_on = { type = "resume" },
      met_by = { type = "concluded" }, owner = "office" },
    { id = "reply", title = "受理后5个工作日内书面答复",
      due = "5wd", from = { type = "accepted" },
      pause_on = { type = "suspend" }, resume_on = { type = "resume" },
      met_by = { type = "replied" }, owner = "office" },
    { id = "assess", title = "2小时内研判",
      due = "2h", remind = { "30m" },
      pause_on = { type = "suspend" }, resume_on = { type = "resume" },
      met_by = { type = "assessment" }, owner = "office" },
  },
}

-- 002 第一篇 三(五) 限期治理: the rectification order names the deadline
-- of each hazard (a date, or a period such as "10wd").
procedure "lc-hazard" {
  title = "隐患限期整改",
  match = { category = "lc_hazard" },
  obligations = {
    { id = "rectify", title = "限期整改",
      from = { type = "order" }, due = { attr = "deadline" },
      met_by = { type = "rectified" }, owner = "office" },
  },
}

-- A grade's duty counted from the moment the grade was reached (G1): a
-- 重大 event reported within 12 hours of its discovery as 重大.
procedure "lc-grade" {
  title = "分级报告",
  match = { category = "lc_grade" },
  grades = {
    [3] = { obligations = {
      { id = "report-up", title = "较大24小时、重大12小时内上报",
        due = "24h", from = "graded", due_by_grade = { [2] = "12h" },
        met_by = { type = "forward" }, owner = "office" },
    } },
  },
}

-- A series that starts at an event and takes its first due from it (the
-- two issue 17 features together): from the rectification order, a
-- progress report by the order's deadline and then daily, until the
-- hazard is rectified.  A series cannot pause (pause_on is refused with
-- every): its rhythm does not stop.
procedure "lc-series" {
  title = "整改期间每日报告",
  match = { category = "lc_series" },
  obligations = {
    { id = "progress", title = "整改进展：首报按整改令，其后每日",
      from = { type = "order" }, due = { attr = "deadline" },
      every = "24h", ["until"] = { type = "rectified" },
      met_by = { type = "update" }, owner = "office" },
  },
}
