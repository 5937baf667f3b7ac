-- 群众信访突发事件 (petitions and collective visits).
-- 001 三(一): 接到信访维稳事件发生有关信息后，在第一时间内报告局分管负责人和
--   突发事件处置工作领导小组，必要时直接报告局主要负责人…领导小组办公室要及时
--   赶赴事发现场处理，核实、了解、收集和按程序要求报告有关信息.
--   责任部门：综合办公室; 配合部门：各处室、各分局，医保中心.
-- 000 四(二): 发现重大信访情况应立即向局分管负责人和局应急办汇报; 对反映重要
--   问题或涉及领导干部的信访要及时呈报局主要负责人批示.
-- The petition's own handling limits (15 days, 60 days, +30) are the
-- baseline's bl-petition.

procedure "ms-petition" {
  title = "群众信访突发事件",
  match = { category = "petition" },
  on_open = { notify = { "deputy", "leadership", "office" } },
  obligations = {
    { id = "verify",
      title = "领导小组办公室赶赴现场核实，报告时间、地点、人员、原因及处理情况（001 三(一)）",
      due = ms.VERIFY_DUE, met_by = { type = { "update", "assessment" } },
      remind = { "30m" }, owner = "office", on_breach = "ms-chain" },
    ms.review(),
  },
  grades = {   -- 必要时直接报告局主要负责人; 重大: 配合部门协同处置
    [1] = { notify = { "principal", "cooperating" } },
    [2] = { notify = { "principal", "cooperating" } },
  },
}

-- 000 四(二)2(3): 反映重要问题或涉及领导干部的信访 (attrs.important = true)
-- goes to the principal leader for instructions (批示) at once.
procedure "ms-petition-important" {
  title = "反映重要问题或涉及领导干部的信访",
  match = { category = "petition", important = true },
  on_open = { notify = { "principal" } },
}
