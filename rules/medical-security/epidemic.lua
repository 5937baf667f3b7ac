-- 疫情防控 (epidemic response, as the medical-security side of it).
-- 001 三(五): 成立疫情防控应急处置工作领导小组…建立和完善疫情医疗保障数据
--   报送制度…突发疫情发生后，经办机构应根据医疗机构救治需要，急时向定点医疗
--   机构预拨疫情救治医保资金.  责任部门：医药服务处.
-- No times in the seed.  The data report: bl.FOLLOW_UP (24 hours, the
-- national daily progress-report figure); only the first is chased: the
-- seed sets up a reporting system but gives it no rhythm, and a series
-- (every) would invent one.  The prepayment
-- (急时) is not a report and the baseline has no figure for it: 24 hours,
-- site setting ms_prefund_due.

procedure "ms-epidemic" {
  title = "疫情防控应急处置",
  match = { category = "epidemic" },
  on_open = { notify = { "leadership", "responsible" } },
  obligations = {
    { id = "data-report",
      title = "报送疫情医疗保障数据（基金收支、动态监测）（001 三(五)三）",
      due = bl.FOLLOW_UP, met_by = { type = "data" },
      owner = "responsible", on_breach = "ms-chain" },
    { id = "prefund",
      title = "急时向定点医疗机构预拨疫情救治医保资金（001 三(五)五）",
      due = bl.setting("ms_prefund_due", bl.FOLLOW_UP), met_by = { type = "prefund" },
      owner = "responsible", on_breach = "ms-chain" },
    ms.review(),
  },
  grades = {
    [1] = { notify = { "principal", "cooperating" } },
    [2] = { notify = { "principal", "cooperating" } },
  },
}
