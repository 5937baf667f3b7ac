-- 每日信息报告 (seed 003, 三: 实行日报告和零报告制度): every unit files a
-- daily report by 17:00, a zero report (zero = true) when there is nothing
-- to report.  Unmet at 17:00 it is late (迟报) and the duty officer is told;
-- unmet by 24:00 it is missed (漏报) and the office hears of it.

recurring "daily-report" {
  title = "每日信息报告（零报告）",
  at = "17:00", close = "24:00",
  units = { "hospital-a", "hospital-b" },
  met_by = { type = "daily" },
  owner = "duty",
  on_breach = "late-report",
}

policy "late-report" {
  { notify = { "duty" } },
  { after = "2h", notify = { "office" } },
}
