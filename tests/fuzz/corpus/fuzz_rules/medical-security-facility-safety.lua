-- 行管安全突发事件 and 重大灾害安全事故 (premises: water, power, gas, fire,
-- theft, damaged buildings).
-- 001 三(三): 应立即判断灾害情况、初步原因及其影响程度。现场工作人员应当及时
--   向突发事件处置工作领导小组办公室报告…同时视具体情况报告110公安指挥中心、
--   119消防指挥中心、120急救中心.  责任部门：综合办公室.
-- 000 四(三): 局应急办应当即时判断灾害情况…若发生人员伤害，应立即采取救治
--   措施…如遇火灾…第一时间向消防部门报警求助.
-- "立即" has no figure in the seeds: bl.AT_ONCE (1 hour, the national
-- figure for reporting an accident).

procedure "ms-facility-safety" {
  title = "行管安全突发事件（水、电、气、火、盗、建筑物损毁）",
  match = { category = { "facility_safety", "disaster_accident" } },
  on_open = { notify = { "office", "deputy" } },
  obligations = {
    { id = "judgement",
      title = "立即判断灾害情况、初步原因及其影响程度（001 三(三)、000 四(三)1）",
      due = bl.AT_ONCE, met_by = { type = "assessment" },
      remind = { "30m" }, owner = "office", on_breach = "ms-chain" },
    -- 视具体情况: a forward to 110, 119 or 120, or an assessment saying none
    -- is needed (services = "none"), settles it.
    { id = "emergency-services",
      title = "视具体情况报告110、119、120（或记明无需报告）（001 三(三)）",
      due = bl.AT_ONCE,
      met_by = function(ev)
        local a = ev.attrs or {}
        return (ev.type == "forward" and (a.to == "110" or a.to == "119" or a.to == "120"))
          or (ev.type == "assessment" and a.services == "none")
      end,
      owner = "office", on_breach = "ms-chain" },
    ms.review(),
  },
  grades = {
    [1] = { notify = { "principal", "cooperating" } },
    [2] = { notify = { "principal", "cooperating" } },
  },
}
