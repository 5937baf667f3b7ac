-- 网络安全突发事件 (network and information security).
-- 001 三(二): 及时向突发事件处置工作领导小组办公室报告，同时向局长报告。有关
--   部门应立即采取措施控制事态，并在2小时内进行风险评估，判定事件等级并发布
--   预警，必要时启动相应的预案，并向公安等有关单位通报情况…事后…进行总结.
--   责任部门：医药服务处; 配合部门：各处室、各分局，医保中心.
-- The report of a 较大 or worse incident to the network authorities (1, 2
-- or 4 hours) is the baseline's bl-network-security.

procedure "ms-network-security" {
  title = "网络安全突发事件",
  match = { category = "network_security" },
  on_open = { notify = { "office", "principal" } },
  obligations = {
    { id = "assessment",
      title = "2小时内进行风险评估，判定事件等级并发布预警（001 三(二)）",
      due = "2h", met_by = { type = "assessment" },
      remind = { "30m" }, owner = "responsible", on_breach = "ms-chain" },
    ms.review(),
  },
  grades = {   -- 必要时启动相应的预案，并向公安等有关单位通报情况
    [1] = { notify = { "leadership", "police", "cooperating" } },
    [2] = { notify = { "leadership", "police", "cooperating" } },
  },
}
