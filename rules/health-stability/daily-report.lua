-- 日报告、零报告 (daily and zero reports).
-- 003 二(五): 坚持值班备勤，实行"日报告"和"零报告"，重大紧急情况及时上报.
-- 003 二(六): 自即日开始，各医疗卫生单位维护稳定及信访工作实行"日报告、零报告"，
--   紧急情况随时上报。凡迟报、漏报、不报的将进行通报，造成影响的将严肃问责.
--
-- Every unit (各乡镇卫生院、县直医疗卫生单位: settings.hs_units) files a
-- daily report (type "daily"; zero = true for a zero report) every day,
-- holidays included.  The seed sets no hour: 17:00, site setting
-- hs_daily_at.  Filed after it: 迟报 (late); not filed by midnight: 漏报/不报
-- (missed).  A late unit is chased at once by its own duty officer
-- ("unit.duty": the unit's duty roster, or the commission's when it has none)
-- and the commission's; after an hour the office circulates it (通报) and
-- the unit's head hears (单位主要领导: the unit's principal, or the
-- commission's).

local units = bl.units("hs_units", "the daily report")

if #units > 0 then
recurring "hs-daily" {
  title = "维护稳定及信访工作日报告（零报告）（003 二(五)、二(六)）",
  at = bl.setting("hs_daily_at", "17:00"), close = "24:00",
  units = units,
  met_by = { type = "daily" },
  owner = "duty",
  on_breach = "hs-daily-late",
}
end

policy "hs-daily-late" {
  { notify = { "unit.duty", "duty" } },
  { after = "1h", notify = { "office", "unit.principal" } },     -- 进行通报
}
