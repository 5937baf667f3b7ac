-- 风险隐患排查 (002-1 三(五): 坚持每周自查，每月县集中排查).
--
-- 每周自查: every village and department files its self-check (an event of
-- type "selfcheck", no incident) each week by 17:00 on the set weekday;
-- unfiled then it is late, unfiled by midnight missed.  The seed names no
-- day: Friday (5), site setting ss_selfcheck_weekday; the units are the
-- site's (settings.ss_check_units).  The seed says "每周", not the day:
-- when the chosen weekday is a day off (Friday 2026-10-02), the week's
-- self-check is due on the working day before, still in that week (site
-- setting ss_selfcheck_shift: "none" keeps it on the holiday, "skip"
-- drops that week's, "next-working-day" moves it on).
-- 每月县集中排查: a monthly recurring, ss-county-check-monthly: each unit
-- of ss_check_units is checked in the county's concentrated check each
-- month and files the record (an event of type "county-check").  The seed
-- names no day: by the month's last working day at 17:00 (site settings
-- ss_county_check_on, ss_periodic_at).  A check that finds hazards opens
-- an incident of category "hazard_check" (ss-county-check below): the
-- town's findings (final) are due within 5 working days — the seed gives
-- no time and no national figure exists: this pack's choice, site setting
-- ss_county_check_due — and its rectification orders (限期治理) run on it.
-- 限期治理 (002-1 三(五)): a hazard the check finds is ordered rectified by
-- a deadline the order names.  The order (an event of type "order" on the
-- check's incident, its deadline in attrs.deadline: an RFC 3339 time or a
-- duration such as "10wd") starts "rectify"; an order without a usable
-- deadline is rejected (event.rejected) and starts nothing.  One
-- rectification per check incident (the first order with a deadline);
-- resolving the incident cancels it.

-- A site without villages or departments to check (a hospital using only
-- the medical-dispute procedures) sets ss_check_units = {}.
local check_units = bl.units("ss_check_units", "the weekly self-check")

if #check_units > 0 then
recurring "ss-weekly-selfcheck" {
  title = "每周风险隐患自查（002-1 三(五)）",
  every = "week",
  weekday = bl.setting("ss_selfcheck_weekday", 5),
  shift = bl.setting("ss_selfcheck_shift", "previous-working-day",
    { "none", "next-working-day", "previous-working-day", "skip" }),
  at = bl.setting("ss_selfcheck_at", "17:00"), close = "24:00",
  units = check_units,
  met_by = { type = "selfcheck" },
  owner = "office",
  on_breach = "ss-selfcheck-late",
}
end

local periodic_at = setting "ss_periodic_at" { default = "17:00",
  type = "time", title = "the hour monthly and quarterly filings are due" }

if #check_units > 0 then
recurring "ss-county-check-monthly" {
  title = "每月县集中排查（002-1 三(五)）",
  every = "month", at = periodic_at,
  on = setting "ss_county_check_on" { default = "last-wd",
    title = "the day of the month the county's check is recorded by" },
  units = check_units,
  met_by = { type = "county-check" },
  owner = "office",
  on_breach = "ss-selfcheck-late",
}
end

policy "ss-selfcheck-late" {
  { notify = { "office" } },
  { after = "2h", notify = { "deputy" } },
}

procedure "ss-county-check" {
  title = "每月县集中排查（002-1 三(五)）",
  match = { category = "hazard_check" },
  on_open = { notify = { "office", "deputy" } },
  obligations = {
    { id = "findings",
      title = "上报本月集中排查情况（隐患清单、整改措施）",
      due = bl.setting("ss_county_check_due", "5wd"),
      met_by = { type = "final" },
      owner = "office", on_breach = "ss-days" },
    { id = "rectify",
      title = "限期治理：在整改通知所定期限内整改到位（002-1 三(五)）",
      from = { type = "order" }, due = { attr = "deadline" },
      met_by = { type = "rectified" },
      owner = "office", on_breach = "ss-days" },
  },
}
