-- 重大医疗纠纷 (major medical disputes) — 002-4 重大医疗纠纷事件应急处置预案.
--
-- 002-4 一 严格报告制度: 发生重大医疗纠纷事件或出现可能引发重大医疗纠纷的
--   医疗过失行为后，责任人应立即报告所在科室主任，科主任（护士长）应按《重大
--   医疗事件请示报告制度》上报医院医患关系办公室、主管院长，必要时按规定程序
--   上报卫生厅.
-- 002-4 五 做好善后工作: 对情况较为复杂的纠纷，需调查核实，应在5日内，对涉及
--   各个科室，需组织、协调相关部门共同研究的投诉，应当在10个工作日内向投诉人
--   反馈处理情况和处理意见.
--
-- The chain: the responsible person's report opens the incident and tells
-- the department head at once; the department head's report to the
-- patient-relations office and the deputy in charge (主管院长) is due within
-- bl.PROMPT (2 hours: "按制度上报" without a time, the national per-hop
-- figure) — a forward to "patient-relations" meets it.
-- The answer: within 5 days (the seed's "5日": calendar days, the last day
-- moved off a holiday; 医院投诉管理办法 says 5 working days — the seed is
-- stricter); a complaint that needs several departments (attrs
-- multi_department = true on any event) moves to the 10-working-day limit,
-- which every complaint must meet in any case.
-- 其他: 封存证据 (三), 核实写出调查报告 (四, 必要时) carry no time.

procedure "ss-medical-dispute" {
  title = "重大医疗纠纷",
  match = { category = "medical_dispute" },
  on_open = { notify = { "department-head" } },        -- 立即报告所在科室主任
  obligations = {
    { id = "to-patient-relations",
      title = "科主任（护士长）上报医患关系办公室、主管院长（002-4 一）",
      due = bl.PROMPT, met_by = bl.forwarded("patient-relations"),
      remind = { "30m" }, owner = "department-head", on_breach = "ss-md-chain" },
    { id = "answer-5d",
      title = "情况较复杂需调查核实的，5日内向投诉人反馈（002-4 五）",
      due = "5cd",
      met_by = function(ev)
        return ev.type == "feedback"
          or (ev.attrs ~= nil and ev.attrs.multi_department == true)
      end,
      owner = "patient-relations", on_breach = "ss-md-chain" },
    { id = "answer-10wd",
      title = "涉及多个科室需共同研究的，10个工作日内向投诉人反馈（002-4 五）",
      due = "10wd", met_by = { type = "feedback" },
      owner = "patient-relations", on_breach = "ss-md-chain" },
  },
  -- 重大医疗过失 (医疗事故处理条例 第十四条: a death, or 3 or more people
  -- harmed) grades 重大.
  classify = function(ev)
    local a = ev.attrs or {}
    if (tonumber(a.deaths) or 0) >= 1 or (tonumber(a.harmed) or 0) >= 3 then
      return 2
    end
    return nil
  end,
  grades = {
    [1] = { notify = { "deputy", "principal" } },
    [2] = { notify = { "deputy", "principal" } },
  },
}

-- 必要时按规定程序上报卫生厅: the rule is 医疗事故处理条例 第十四条 — a major
-- medical fault (a death or a possible grade-II-or-worse accident, or 3 or
-- more people harmed) is reported to the local health authority within 12
-- hours.  Governs disputes reported as such; one found later is a gap
-- (docs/procedures.md).
local function major(ev)
  local a = ev.attrs or {}
  return (ev.grade ~= nil and ev.grade <= 2) or (tonumber(a.deaths) or 0) >= 1
    or (tonumber(a.harmed) or 0) >= 3
end

procedure "ss-medical-dispute-major" {
  title = "重大医疗过失行为报告",
  match = function(ev) return ev.category == "medical_dispute" and major(ev) end,
  obligations = {
    { id = "to-health-authority",
      title = "12小时内向所在地卫生健康行政部门报告（医疗事故处理条例第十四条）",
      due = "12h", met_by = bl.forwarded("health-authority"),
      remind = { "2h" }, owner = "deputy", on_breach = "ss-md-major" },
  },
}

policy "ss-md-major" {
  { notify = { "deputy", "patient-relations" } },
  { after = "1h", notify = { "principal" } },
}
