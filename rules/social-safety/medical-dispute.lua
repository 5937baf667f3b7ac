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
--
-- 必要时按规定程序上报卫生厅: the 规定程序 is the health authority's report
-- of a medical quality and safety event, 医疗质量安全事件报告暂行规定
-- (卫医管发〔2011〕4号) 第八条 — 一般 within 15 days of its discovery, 重大
-- within 12 hours, 特大 within 2 hours — and 医疗事故处理条例 第十四条 (a
-- major medical fault: a death, a possible grade-II-or-worse accident, or 3
-- or more people harmed, within 12 hours).  The grade of the dispute is the
-- grade of the harm (attrs deaths, harmed, or the event's own grade):
--   特大 → 特别重大 (1): 3 or more deaths;
--   重大 → 重大 (2): 1 or 2 deaths, or 3 or more people harmed;
--   一般 → 一般 (4): 1 or 2 people harmed.
-- A harm the counts do not show (a 重度残疾 is 特大) is given as the event's
-- grade, which wins.  A dispute that reports no harm is not graded and owes
-- no report.  The report is the obligation of grade 4 (owed once any harm
-- is known), with a deadline that tightens at 重大 and 特大 (due_by_grade),
-- all counted from the opening: harm found later tightens a pending report,
-- and one whose tighter time has already passed breaches at once.  A lower
-- grade afterwards loosens nothing.

local function harm_grade(ev)
  local a = ev.attrs or {}
  local d, h = tonumber(a.deaths) or 0, tonumber(a.harmed) or 0
  if d >= 3 then return 1 end
  if d >= 1 or h >= 3 then return 2 end
  if h >= 1 then return 4 end
  return nil
end

procedure "ss-medical-dispute" {
  title = "重大医疗纠纷",
  match = { category = "medical_dispute" },
  -- 立即报告所在科室主任: the head of the department it happened in
  -- ("unit.department-head"), or the site's department-head without units.
  on_open = { notify = { "unit.department-head" } },
  obligations = {
    { id = "to-patient-relations",
      title = "科主任（护士长）上报医患关系办公室、主管院长（002-4 一）",
      due = bl.PROMPT, met_by = bl.forwarded("patient-relations"),
      remind = { "30m" }, owner = "unit.department-head", on_breach = "ss-md-chain" },
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
  classify = harm_grade,
  grades = {
    [1] = { notify = { "deputy", "principal" } },
    [2] = { notify = { "deputy", "principal" } },
    -- 必要时按规定程序上报卫生厅: owed once any harm is known, and counted
    -- as 医疗质量安全事件报告暂行规定 第八条 counts, 自事件发现之时起: from the
    -- moment the harm that makes it 一般 was known (from = "graded"), and a
    -- graver grade's 12 or 2 hours from the moment that grade was known.
    [4] = {
      obligations = {
        { id = "to-health-authority",
          title = "按规定时限向所在地卫生健康行政部门报告（一般15日、重大12小时、特大2小时；医疗质量安全事件报告暂行规定第八条、医疗事故处理条例第十四条）",
          due = "15cd", from = "graded",
          due_by_grade = { [2] = "12h", [1] = "2h" },
          met_by = bl.forwarded("health-authority"),
          remind = { "2h" }, owner = "deputy", on_breach = "ss-md-major" },
      },
    },
  },
}

policy "ss-md-major" {
  { notify = { "deputy", "patient-relations" } },
  { after = "1h", notify = { "principal" } },
}
