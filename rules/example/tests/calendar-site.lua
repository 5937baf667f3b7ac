-- The site of the calendar rule tests (calendar.json): a bureau, two
-- hospitals and six duty posts, and the settings it gives the pack in
-- calendar/ (the report hour, how many posts a spot check draws).
-- Fictional people; every notification goes to the log channel.

site {
  timezone = "Asia/Shanghai",
  rules = { "calendar" },
}

settings {
  cal_report_at = "16:00",    -- this site's reports are due an hour early
  cal_spotcheck_pick = 3,
}

channel "log" { kind = "log" }

person "cal-qian" { name = "钱二（办公室）", phone = "+8613800000902", channels = { "log" } }
person "cal-zhao" { name = "赵一（值班员）", phone = "+8613800000901", channels = { "log" } }
group "office" { name = "局应急管理办公室", members = { "cal-qian" } }
group "duty"   { name = "总值班室",         members = { "cal-zhao" } }

unit "bureau"     { name = "示例局", roles = { office = "office" } }
unit "hospital-a" { name = "示例第一医院", parent = "bureau" }
unit "hospital-b" { name = "示例第二医院", parent = "bureau" }
unit "post-1" { name = "一号值班室", parent = "bureau" }
unit "post-2" { name = "二号值班室", parent = "bureau" }
unit "post-3" { name = "三号值班室", parent = "bureau" }
unit "post-4" { name = "四号值班室", parent = "bureau" }
unit "post-5" { name = "五号值班室", parent = "bureau" }
unit "post-6" { name = "六号值班室", parent = "bureau" }
