-- National special periods (节假日、特防期) of 2026, from the State Council's
-- holiday schedule (国办发明电〔2025〕7号, rules/holidays/china.lua).  Tags:
--   holiday     节假日值守: packs tell the leader on duty (领导带班)
--   heightened  特防期: 春节 and 国庆 (sites add 两会 and their own windows)
-- A site declares its own periods (两会, major events, a county's 战时状态)
-- in its site file with the same tags.

period "bl-new-year-2026"      { from = "2026-01-01", to = "2026-01-03", tags = { "holiday" } }
period "bl-spring-2026"        { from = "2026-02-15", to = "2026-02-23", tags = { "holiday", "heightened" } }
period "bl-qingming-2026"      { from = "2026-04-04", to = "2026-04-06", tags = { "holiday" } }
period "bl-labour-day-2026"    { from = "2026-05-01", to = "2026-05-05", tags = { "holiday" } }
period "bl-dragon-boat-2026"   { from = "2026-06-19", to = "2026-06-21", tags = { "holiday" } }
period "bl-mid-autumn-2026"    { from = "2026-09-25", to = "2026-09-27", tags = { "holiday" } }
period "bl-national-day-2026"  { from = "2026-10-01", to = "2026-10-07", tags = { "holiday", "heightened" } }
