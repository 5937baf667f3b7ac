-- 网络安全突发事件 (seed 001, 三(二)): report to the office and the
-- principal at once; finish the risk assessment, grading and warning within
-- 2 hours; escalate an unmet deadline up the leadership chain.

procedure "network-security" {
  title = "网络安全突发事件",
  match = { category = "network_security" },
  -- 立即报告局办公室，同时报告局长
  on_open = { notify = { "office", "principal" } },
  obligations = {
    { id = "assessment",
      title = "2小时内完成风险评估、判定等级并发布预警",
      due = "2h", from = "opened",
      due_in = { heightened = "1h" },               -- 特防期: within 1 hour
      due_by_grade = { [2] = "1h" },                -- 重大及以上: within 1 hour
      met_by = { type = "assessment" },
      remind = { "30m" },
      owner = "responsible",
      on_breach = "standard" },
  },
  grades = {
    [1] = { notify = { "principal", "superior" } },
    -- 重大及以上: the principal and the city hear, and a special report
    -- (专题报告) is owed within a day of the incident opening.
    [2] = { notify = { "principal", "superior" },
            obligations = {
              { id = "special-report", title = "报送专题报告", due = "24h",
                met_by = { type = "final" }, owner = "office" },
            } },
  },
  periods = { heightened = { notify = { "principal" } } },
}

-- 先报分管副局长和办公室，必要时报主要负责人，处置不了的报市应急管理局
policy "standard" {
  { notify = { "office", "deputy", "duty" } },
  { after = "15m", notify = { "principal" } },
  { after = "30m", notify = { "superior" } },
  repeat_every = "1h",
  max_repeats = 3,
}
