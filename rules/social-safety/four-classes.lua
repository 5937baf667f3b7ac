-- 四大类重大社会安全事件: 重大群体性事件、重大刑事案件、涉外突发事件、
-- 恐怖袭击事件 (002-1 二).
--
-- 002-1 三(四) 信息报告: 重大社会安全事件发生后，事发地负责人要按规定及时、
--   准确地向镇党委、政府报告，并向有关地方、部门和应急管理机构通报…对迟报、
--   漏报甚至瞒报、谎报行为要依法追究责任.
-- 002-1 三(一): 镇应急委员会是领导机构，镇应急管理办公室为日常办事机构…各村、
--   单位应急管理办事机构要履行值守应急、信息汇总、综合协调等职能.
-- 002-2 一: 确保…不发生重大政治性事件、非法聚集事件、大规模群体性事件、暴力
--   恐怖事件 (during 十八大安保: a special period, tag "heightened").
--
-- Obligations of each class:
--   first-report   事发地负责人向镇党委、政府报告: within ss.FIRST_REPORT_DUE
--                  of the occurrence (4 hours), met by the report itself; a
--                  report filed after it is 迟报 at once.
--   to-agency      通报有关部门: the class's competent agency (公安 for mass
--                  incidents, crimes and terrorism; 外事 for foreign-related
--                  events), "及时" → bl.PROMPT (2 hours) from the report.
--   to-emergency-management  通报应急管理机构 (县应急管理局), 2 hours.
--   follow-up      续报 within 24 hours (bl.FOLLOW_UP).

local function class(name, title, category, agency, agency_title)
  procedure(name) {
    title = title,
    match = { category = category },
    -- 向镇党委、政府报告: the office, the principal and the deputy in charge
    -- at once.  The 通报 to the agencies is the office's own act (below).
    on_open = { notify = { "office", "principal", "deputy" } },
    obligations = {
      -- 事发地负责人: the head of the village or unit that reported
      -- ("unit.responsible", its own binding), or the site's responsible.
      { id = "first-report",
        title = "事发地负责人及时、准确地向镇党委、政府报告（002-1 三(四)；最迟4小时）",
        due = ss.FIRST_REPORT_DUE, from = "occurred", met_by = { type = "report" },
        owner = "unit.responsible", on_breach = "ss-chain" },
      { id = "to-agency", title = agency_title,
        due = bl.PROMPT, met_by = bl.forwarded(agency),
        remind = { "30m" }, owner = "office", on_breach = "ss-chain" },
      { id = "to-emergency-management",
        title = "向应急管理机构通报（002-1 三(四)）",
        due = bl.PROMPT, met_by = bl.forwarded("emergency-management"),
        remind = { "30m" }, owner = "office", on_breach = "ss-chain" },
      bl.followup { owner = "unit.responsible", on_breach = "ss-chain" },
    },
    grades = {
      [1] = { notify = { "leadership" } },
      [2] = { notify = { "leadership" } },
    },
    -- 特防期 (两会、国庆、重大活动安保): the emergency committee hears of
    -- every one at once.
    periods = { heightened = { notify = { "leadership" } } },
  }
end

class("ss-mass-incident", "重大群体性事件", "mass_incident", "police",
  "向公安机关通报（002-1 三(四)）")
class("ss-criminal-case", "重大刑事案件", "criminal_case", "police",
  "向公安机关通报（002-1 三(四)）")
class("ss-foreign-related", "涉外突发事件", "foreign_related", "foreign-affairs",
  "向外事部门通报（002-1 三(四)）")
class("ss-terrorism", "恐怖袭击事件", "terrorism", "police",
  "向公安机关通报（002-1 三(四)）")
