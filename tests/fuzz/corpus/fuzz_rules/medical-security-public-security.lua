-- 社会治安案件 (public-security cases at the bureau's premises).
-- 000 四(四)2: 迅速向公安部门报警; 4: 重大设备设施等盗窃事件应立即报警.
-- 000 二(二): 对发生暴力行为或严重扰乱社会治安秩序的事件，要及时报告市应急
--   管理局、市公安局等相关部门 (重大 and above: the superior through
--   bl-general, the police here).
-- "迅速" has no figure: bl.AT_ONCE (1 hour).

procedure "ms-public-security" {
  title = "社会治安案件",
  match = { category = "public_security" },
  on_open = { notify = { "office", "deputy" } },
  obligations = {
    { id = "police", title = "迅速向公安部门报警（000 四(四)2）",
      due = bl.AT_ONCE, met_by = bl.forwarded({ "110", "police" }),
      remind = { "30m" }, owner = "office", on_breach = "ms-chain" },
    ms.review(),
  },
  grades = {
    [1] = { notify = { "principal", "police" } },
    [2] = { notify = { "principal", "police" } },
  },
}
