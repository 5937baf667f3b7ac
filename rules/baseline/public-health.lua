-- 突发公共卫生事件 (public-health emergencies).
-- Source: 突发公共卫生事件应急条例.
--   第二十条 监测机构、医疗卫生机构和有关单位 report to the county health
--            authority within 2 hours; the health authority reports to its
--            own government within 2 hours and at the same time to the
--            superior health authority and the State health authority; the
--            county government reports to the next government within 2
--            hours, the city government to the province within 2 hours.
--   第十九条 the provincial government reports to the State health authority
--            within 1 hour.
-- 突发公共卫生事件相关信息报告管理工作规范（试行）: 进程报告 at least daily
-- for 重大 and 特别重大 events (`progress`, a series: every 24 hours until
-- the final report); 结案报告 within 2 weeks of the end.
--
-- Site setting bl_public_health_hop says which hop is this site's own:
--   "unit"       (default) a hospital, clinic or other unit → county health
--                authority, 2 hours;
--   "authority"  a health commission → its government and the superior
--                health authority, 2 hours each;
--   "government" a county or city government (its emergency office) → the
--                next government up, 2 hours;
--   "province"   a provincial government → the State health authority,
--                1 hour;
--   "none"       not a reporting body under 第二十条 (e.g. a medical-security
--                bureau, which learns of an epidemic from the health system):
--                the procedure is left out.

local hop = bl.setting("bl_public_health_hop", "unit",
  { "unit", "authority", "government", "province", "none" })

local function hop_report(id, title, due, to)
  return { id = id, title = title, due = due, from = "opened",
    met_by = bl.forwarded(to), remind = { "30m" },
    owner = "responsible", on_breach = "bl-standard" }
end

local obligations = {}
if hop == "unit" then
  obligations[#obligations + 1] = hop_report("to-health-authority",
    "2小时内向所在地县级卫生健康行政部门报告（条例第二十条）", "2h",
    "health-authority")
elseif hop == "authority" then
  obligations[#obligations + 1] = hop_report("to-government",
    "2小时内向本级人民政府报告（条例第二十条）", "2h", "government")
  obligations[#obligations + 1] = hop_report("to-superior",
    "同时向上级卫生健康行政部门和国家卫生健康委报告（条例第二十条）", "2h",
    "superior")
elseif hop == "government" then
  obligations[#obligations + 1] = hop_report("to-superior",
    "2小时内向上一级人民政府报告（条例第二十条）", "2h", "superior")
elseif hop == "province" then
  obligations[#obligations + 1] = hop_report("to-state",
    "1小时内向国务院卫生健康行政部门报告（条例第十九条）", "1h", "state")
end
obligations[#obligations + 1] = bl.followup {
  title = "进程报告：24小时内续报（信息报告管理工作规范：至少按日进程报告）",
  owner = "responsible", on_breach = "bl-standard" }
-- 重大 and 特别重大: 进程报告至少按日, a series until the 结案/终报 (the
-- first 续报 above is also its instance 1).
local daily = {
  bl.progress {
    title = "进程报告：重大及以上至少按日报告（信息报告管理工作规范）",
    owner = "responsible", on_breach = "bl-standard" } }
-- 结案报告: 确认事件终止后2周内: counted from the `end` event that confirms
-- the event's end (from = bl.ENDED); an incident whose end nobody confirms
-- owes no 结案报告 yet.
obligations[#obligations + 1] = bl.final {
  title = "结案报告：确认事件终止后2周内总结报告（信息报告管理工作规范）",
  due = "14cd", from = bl.ENDED, owner = "responsible",
  on_breach = "bl-days" }

if hop ~= "none" then
procedure "bl-public-health" {
  title = "突发公共卫生事件",
  match = { category = { "public_health", "epidemic" } },
  obligations = obligations,
  grades = {
    [1] = { notify = { "principal" } },
    [2] = { notify = { "principal" }, obligations = daily },
  },
}
end
