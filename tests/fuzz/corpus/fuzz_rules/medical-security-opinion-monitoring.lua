-- 网络舆情日常监测 (daily monitoring of online opinion).
-- 001 三(四): 各处室、分局，医保中心应将网络舆情监测作为一项日常工作，每天浏览
--   监测涉及我局的舆情信息…密切关注沈阳医保相关舆情，并做好记录.
-- 000 四(一)1: 各科室、市医保中心要将网络舆情监测作为一项日常工作.
--
-- Every monitoring unit (settings.ms_monitor_units) files its day's record
-- (type "monitor", no incident; zero = true when nothing was found) by
-- 17:00 — the seeds set no hour: site setting ms_monitor_at.  Late is 迟报,
-- none by midnight 漏报; the office hears of a unit that has not filed.
-- What the record finds is reported as a public_opinion incident.

local units = bl.units("ms_monitor_units", "the daily opinion-monitoring record")

if #units > 0 then
recurring "ms-opinion-monitoring" {
  title = "网络舆情日常监测记录（001 三(四)）",
  at = bl.setting("ms_monitor_at", "17:00"), close = "24:00",
  units = units,
  met_by = { type = "monitor" },
  owner = "office",
}
end
