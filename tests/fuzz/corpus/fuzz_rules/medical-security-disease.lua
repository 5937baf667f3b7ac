-- 疾病安全事故 (illness at the bureau's service halls).
-- 000 四(五)1: 发生集体食物中毒后应及时组织抢救…向有关部门报告情况; 2: 对
--   流行病、传染病疑似症状的人员按国家有关规定处置; 3: 突发疾病…协助拨打
--   急救电话.
-- "及时" has no figure: bl.PROMPT (2 hours, 突发公共卫生事件应急条例 第二十条 —
-- a collective food poisoning is a public-health emergency).  A forward to
-- the health authority, or to 120 for a single sudden illness, meets it.

procedure "ms-disease" {
  title = "疾病安全事故（集体食物中毒、传染病疑似、突发疾病）",
  match = { category = "disease" },
  on_open = { notify = { "office", "deputy" } },
  obligations = {
    { id = "authority-report",
      title = "及时向有关部门报告（卫生健康部门，或急救电话120）（000 四(五)）",
      due = bl.PROMPT, met_by = bl.forwarded({ "health-authority", "120" }),
      remind = { "30m" }, owner = "office", on_breach = "ms-chain" },
    ms.review(),
  },
  grades = {
    [1] = { notify = { "principal" } },
    [2] = { notify = { "principal" } },
  },
}
