-- Recurring reports on calendar rules, settings and a spot check: the
-- pack of the rule tests in ../calendar.json (docs/rules.md, "Recurring
-- reports").  Not a seed's clause: each declaration is one rule the
-- vocabulary can say.

local at = setting "cal_report_at" { default = "17:00", type = "time",
  title = "the hour reports are due" }
local hospitals = { "hospital-a", "hospital-b" }

policy "cal-late" { { notify = { "office" } } }

-- 每月第5个工作日前报送月报.
recurring "cal-monthly" {
  title = "月报", every = "month", on = "5wd", at = at,
  units = hospitals, met_by = { type = "monthly" }, owner = "office",
}

-- 每季度15日前报送（遇节假日顺延）.
recurring "cal-quarterly" {
  title = "季报", every = "quarter", on = 15, shift = "next-working-day",
  at = at, units = { "hospital-a" }, met_by = { type = "quarterly" },
  owner = "office",
}

-- 每月最后一个工作日.
recurring "cal-month-end" {
  title = "月末报告", every = "month", on = "last-wd", at = at,
  units = { "hospital-a" }, met_by = { type = "month-end" }, owner = "office",
}

-- 每半年末报送半年总结; 每年第3个工作日报送年度计划; 指定日期报送
-- (遇节假日顺延).
recurring "cal-half-year" {
  every = "half-year", on = "last", at = at, units = { "hospital-b" },
  met_by = { type = "half-year" }, owner = "office",
}
recurring "cal-yearly" {
  every = "year", on = "3wd", at = at, units = { "hospital-b" },
  met_by = { type = "yearly" }, owner = "office",
}
recurring "cal-dated" {
  on = { "2027-03-05", "2028-03-05" }, shift = "next-working-day", at = at,
  units = { "hospital-b" }, met_by = { type = "dated" }, owner = "office",
}

-- 每周五自查: as the clause says it, on the holiday too; moved on to the
-- next working day; or not owed in a week whose Friday is off.
recurring "cal-weekly" {
  every = "week", weekday = 5, at = at, units = { "hospital-a" },
  met_by = { type = "weekly" }, owner = "office",
}
recurring "cal-weekly-shift" {
  every = "week", on = 5, shift = "next-working-day", at = at,
  units = { "hospital-a" }, met_by = { type = "weekly" }, owner = "office",
}
recurring "cal-weekly-skip" {
  every = "week", on = 5, shift = "skip", at = at, units = { "hospital-a" },
  met_by = { type = "weekly" }, owner = "office",
}

-- 特防期每日点名: owed only while a period tagged heightened is on.
period "cal-national-day" { from = "2026-09-30", to = "2026-10-08", tags = { "heightened" } }
recurring "cal-rollcall" {
  title = "特防期点名", every = "day", during = "heightened", at = "09:00",
  remind = { "30m" }, units = { "hospital-b" }, met_by = { type = "rollcall" },
  owner = "duty", on_breach = "cal-late",
}

-- 随机抽查值守情况: every Tuesday, some of the six posts answer by 10:00.
spotcheck "cal-duty-check" {
  title = "随机抽查值守", every = "week", on = 2, at = "10:00", close = "12:00",
  pick = setting "cal_spotcheck_pick" { default = 2, type = "integer" },
  from = { "post-1", "post-2", "post-3", "post-4", "post-5", "post-6" },
  met_by = { type = "duty-check" }, owner = "duty",
}

event_type "monthly"    { title = "月报" }
event_type "quarterly"  { title = "季报" }
event_type "month-end"  { title = "月末报告" }
event_type "half-year"  { title = "半年总结" }
event_type "yearly"     { title = "年度计划" }
event_type "dated"      { title = "专项报告" }
event_type "weekly"     { title = "周自查" }
event_type "rollcall"   { title = "点名应答" }
event_type "duty-check" { title = "抽查应答" }
