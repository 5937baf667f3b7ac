-- 演练、培训和专家排查 (recurring duties of seed 002 with a rhythm and no day).
--
-- 002-1 四(二) 加强应急救援队伍建设（每月进行有计划地演练）: each unit of
--   ss_check_units (各村、各部门: the seed's teams are organised by them)
--   records the month's drill (an event of type "drill").
-- 002-1 四(三) 加强应急管理培训和应急防护知识宣传教育工作（每季度一次）:
--   the quarter's training (type "training").
-- 002-2 三(三)1 建立和完善…事故隐患自查、季度专家排查: the quarter's expert
--   hazard check (type "expert-check").
-- The seed names no day for any of them: each is due by the last working
-- day of its month or quarter at 17:00 (site settings ss_drill_on,
-- ss_training_on, ss_expert_check_on and ss_periodic_at — this pack's
-- choice, the latest day that is still "each month" and "each quarter").
-- Not filed by then the office is told, the deputy two hours later
-- (ss-selfcheck-late); not by midnight, missed.

local units = setting "ss_check_units" { type = "names",
  title = "the units that owe the weekly self-check" }
local at = setting "ss_periodic_at" { default = "17:00", type = "time",
  title = "the hour monthly and quarterly filings are due" }

local function due_day(name, what)
  return setting(name) { default = "last-wd",
    title = "the day of the period " .. what .. " is due by" }
end

if #units > 0 then
recurring "ss-monthly-drill" {
  title = "每月有计划地演练（002-1 四(二)）",
  every = "month", on = due_day("ss_drill_on", "the drill"), at = at,
  units = units, met_by = { type = "drill" },
  owner = "office", on_breach = "ss-selfcheck-late",
}

recurring "ss-quarterly-training" {
  title = "应急管理培训和宣传教育（每季度一次）（002-1 四(三)）",
  every = "quarter", on = due_day("ss_training_on", "the training"),
  at = at, units = units, met_by = { type = "training" },
  owner = "office", on_breach = "ss-selfcheck-late",
}

recurring "ss-quarterly-expert-check" {
  title = "季度专家排查（002-2 三(三)1）",
  every = "quarter", on = due_day("ss_expert_check_on",
    "the expert check"), at = at,
  units = units, met_by = { type = "expert-check" },
  owner = "office", on_breach = "ss-selfcheck-late",
}
end
