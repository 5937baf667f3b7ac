-- National special periods (节假日、特防期), from the holiday calendar: the
-- national one (statutory holidays every year, the State Council's 调休 for
-- each published year), plus any holidays the site declares.  A holiday
-- here is its whole run of days off, the weekends beside it included, in
-- every year: no list to renew each year.  Tags:
--   holiday     节假日值守: packs tell the leader on duty (领导带班)
--   heightened  特防期: 春节 and 国庆 (sites add 两会 and their own windows)
-- A site declares its own periods (两会, major events, a county's 战时状态)
-- in its site file with the same tags.

period "bl-holidays"        { holidays = "all",             tags = { "holiday" } }
period "bl-spring-festival" { holidays = "spring-festival", tags = { "heightened" } }
period "bl-national-day"    { holidays = "national-day",    tags = { "heightened" } }
