-- Example site: a fictional town (示例镇) with its health centre (镇卫生院),
-- running the procedures of seed 002 on the national baseline: the four
-- classes of major social-safety events, 迟报/漏报/瞒报/谎报 accountability,
-- weekly self-checks and the county's monthly check, and the health
-- centre's medical-dispute chain.  Fictional people; every notification
-- goes to the log channel.
--
--   build/tocsind -c rules/social-safety/example-site.lua --check
--   build/tocsinctl simulate -c rules/social-safety/example-site.lua \
--       --events rules/social-safety/examples/wage-protest.jsonl
--   build/tocsinctl simulate -c rules/social-safety/health-centre-site.lua \
--       --events rules/social-safety/examples/medical-dispute.jsonl
--   (health-centre-site.lua: the health centre as a site of its own)
--
-- How a real town maps itself onto the pack's roles:
--   principal    镇党委书记、镇长 (镇党委、政府)
--   deputy       分管政法、综治的副书记 / 副镇长 — for medical disputes the
--                health centre's 主管院长
--   leadership   镇应急委员会 (镇应急领导小组)
--   office       镇应急管理办公室 (镇综治中心)
--   duty         镇政府总值班 (值守应急)
--   responsible  the village or unit where it happened (事发地负责人)
--   superior     县应急管理局、县委政法委 — for medical disputes 县卫生健康委
--   police, foreign-affairs, emergency-management, discipline: 派出所, 县外事办,
--                县应急管理局, 镇纪委
--   department-head, patient-relations, health-authority: 卫生院科室主任,
--                医患关系办公室, 县卫生健康委 (the seed's 卫生厅 stands for the
--                competent health authority)

site {
  listen = "127.0.0.1:8470",
  timezone = "Asia/Shanghai",
  rules = { "../holidays", "../baseline", "." },
}

settings {
  bl_production_safety_hop = "unit",
  bl_public_health_hop     = "unit",    -- the health centre is a reporting unit
  bl_network_operator      = "other",
  ss_first_report_due      = "4h",      -- 事发地负责人报告 (总体预案: 最迟4小时)
  ss_selfcheck_weekday     = 5,         -- 每周五自查
  ss_selfcheck_at          = "17:00",
  ss_check_units           = { "village-east", "village-west", "town-school" },
  ss_county_check_due      = "5wd",     -- 月度集中排查情况报告
  ss_accountability_due    = "30cd",
}

-- 特防期 the town keeps besides the baseline's 春节 and 国庆: 全国两会 2026
-- (example dates: set them each year as announced).
period "ss-two-sessions-2026" { from = "2026-03-04", to = "2026-03-11", tags = { "heightened" } }

channel "log" { kind = "log" }

-- 镇党委、政府
person "ss-chen"  { name = "陈一（镇党委书记）",   phone = "+8613800000301", channels = { "log" } }
person "ss-lin"   { name = "林二（镇长）",         phone = "+8613800000302", channels = { "log" } }
person "ss-huang" { name = "黄三（政法副书记）",   phone = "+8613800000303", channels = { "log" } }
person "ss-he"    { name = "何四（应急办主任）",   phone = "+8613800000304", channels = { "log" } }
person "ss-luo"   { name = "罗五（镇政府值班员）", phone = "+8613800000305", channels = { "log" } }
person "ss-bai"   { name = "白十四（镇政府值班员）", phone = "+8613800000314", channels = { "log" } }
-- 镇政府总值班: a day each, handing over at 08:30.
roster "duty" { handover = "08:30", start = "2026-01-05", rotation = { "ss-luo", "ss-bai" } }
person "ss-guo"   { name = "郭六（镇纪委书记）",   phone = "+8613800000306", channels = { "log" } }
person "ss-ma"    { name = "马七（东村党支部书记）", phone = "+8613800000307", channels = { "log" } }
person "ss-xie"   { name = "谢十六（西村党支部书记）", phone = "+8613800000316", channels = { "log" } }
person "ss-jiang" { name = "蒋十七（镇中心学校校长）", phone = "+8613800000317", channels = { "log" } }
-- 镇卫生院
person "ss-liang" { name = "梁八（卫生院院长）",   phone = "+8613800000308", channels = { "log" } }
person "ss-song"  { name = "宋九（主管副院长）",   phone = "+8613800000309", channels = { "log" } }
person "ss-tang"  { name = "唐十（医患关系办公室）", phone = "+8613800000310", channels = { "log" } }
person "ss-han"   { name = "韩十一（内科主任）",   phone = "+8613800000311", channels = { "log" } }
person "ss-feng"  { name = "冯十二（外科护士长）", phone = "+8613800000312", channels = { "log" } }

group "ss-town-leaders" { name = "镇党委、政府主要负责人", members = { "ss-chen", "ss-lin" } }
group "ss-committee"    { name = "镇应急委员会", members = { "ss-chen", "ss-lin", "ss-huang", "ss-he" }, roles = { "leadership" } }
group "ss-office"       { name = "镇应急管理办公室", members = { "ss-he" } }
group "ss-villages"     { name = "事发村、单位负责人", members = { "ss-ma" } }
group "ss-police"       { name = "镇派出所", members = {}, channels = { "log" } }
group "ss-foreign"      { name = "县外事办", members = {}, channels = { "log" } }
group "ss-county-ema"   { name = "县应急管理局", members = {}, channels = { "log" }, roles = { "emergency-management" } }
group "ss-discipline"   { name = "镇纪委", members = { "ss-guo" }, roles = { "discipline" } }
group "ss-county-health" { name = "县卫生健康委", members = {}, channels = { "log" } }
group "ss-mr-office"    { name = "卫生院医患关系办公室", members = { "ss-tang" }, roles = { "patient-relations" } }
-- 科室主任（护士长）: each department binds its own head (the units below);
-- this group is the site's department-head, told for a dispute reported by
-- a unit that binds none (the health centre itself).
group "ss-dept-heads"   { name = "卫生院科室主任、护士长", members = { "ss-han", "ss-feng" }, roles = { "department-head" } }

role "principal"   { default = "ss-town-leaders", medical_dispute = "ss-liang" }
role "deputy"      { default = "ss-huang", medical_dispute = "ss-song" }
role "office"      { default = "ss-office", medical_dispute = "ss-mr-office" }
role "responsible" { default = "ss-villages", medical_dispute = "ss-dept-heads" }
role "superior"    { default = "ss-county-ema", medical_dispute = "ss-county-health" }
role "police"          { default = "ss-police" }
role "foreign-affairs" { default = "ss-foreign" }
role "health-authority" { default = "ss-county-health" }

-- The units (docs/rules.md, "Units"): the county above the town, the
-- town, its villages and school, and the health centre's departments.
-- Each village, the school and each of the health centre's departments
-- binds its own head: the pack tells "unit.responsible" (事发地负责人) and
-- "unit.department-head" (所在科室主任) of the unit that reported, not all
-- of them.  Other roles still map by category (a medical dispute climbs
-- the health centre's chain).
unit "county"       { name = "示例县（县应急管理局、县委政法委）", kind = "county" }
unit "town"         { name = "示例镇党委、政府", parent = "county", kind = "town",
                      roles = { principal = "ss-town-leaders", office = "ss-office" } }
unit "village-east" { name = "东村", parent = "town", kind = "village",
                      roles = { responsible = "ss-ma" } }
unit "village-west" { name = "西村", parent = "town", kind = "village",
                      roles = { responsible = "ss-xie" } }
unit "town-school"  { name = "镇中心学校", parent = "town", kind = "school",
                      roles = { responsible = "ss-jiang" } }
unit "wsy"          { name = "示例镇卫生院", parent = "town", kind = "health-centre",
                      roles = { principal = "ss-liang" } }
unit "wsy-internal" { name = "卫生院内科", parent = "wsy", kind = "department",
                      roles = { ["department-head"] = "ss-han" } }
unit "wsy-surgery"  { name = "卫生院外科", parent = "wsy", kind = "department",
                      roles = { ["department-head"] = "ss-feng" } }
