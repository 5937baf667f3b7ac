-- 信访事项 (petitions).
-- Source: 信访工作条例 (2022): a petition is registered and, within 15 days
-- of receipt, routed, assigned or accepted with notice to the petitioner
-- (转送、交办或告知受理); it is concluded (办结) within 60 days of acceptance;
-- when complex, the head of the body may extend that once, by no more than
-- 30 days, telling the petitioner why.
--
-- Events: accept (受理、转送或交办，并告知信访人), extend (延期经本机关负责人
-- 批准), final (办结并出具处理意见).
-- The 15 days count from the opening (receipt); the 60 and the 90 days
-- from the acceptance (from = { type = "accept" }), so a petition accepted
-- on day 14 has its 60 days from then (docs/procedures.md G2).

procedure "bl-petition" {
  title = "信访事项办理时限",
  match = { category = "petition" },
  obligations = {
    { id = "accept", title = "收到之日起15日内转送、交办或告知受理",
      due = "15cd", met_by = { type = "accept" },
      owner = "responsible", on_breach = "bl-days" },
    { id = "conclude", title = "60日内办结（或经本机关负责人批准延期）",
      due = "60cd", from = { type = "accept" },
      met_by = { type = { "final", "extend" } },
      owner = "responsible", on_breach = "bl-days" },
    { id = "conclude-extended", title = "延期办结：延长不超过30日（共90日）",
      due = "90cd", from = { type = "accept" }, met_by = { type = "final" },
      owner = "responsible", on_breach = "bl-days" },
  },
}
