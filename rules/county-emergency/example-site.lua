-- Example site: a fictional county government's duty room and emergency
-- office (示例县人民政府总值班室、县应急管理办公室), running the county
-- emergency work of seed 004 on the national baseline.  Fictional people;
-- every notification goes to the log channel.
--
--   build/tocsind -c rules/county-emergency/example-site.lua --check
--   build/tocsinctl simulate -c rules/county-emergency/example-site.lua \
--       --events rules/county-emergency/examples/landslide.jsonl
--
-- How a county maps itself onto the pack's roles:
--   principal       县长 (县政府主要负责人)
--   deputy          分管应急的副县长
--   office          县应急管理办公室 (县应急管理局)
--   duty            县政府总值班室值班员 (24小时值班)
--   leader-on-duty  带班领导 (节假日、特防期领导带班)
--   responsible     the township or department that reported (事发地)
--   superior        市政府总值班室、市应急管理局
--   leadership      县应急委员会

site {
  listen = "127.0.0.1:8470",
  timezone = "Asia/Shanghai",
  rules = { "../holidays", "../baseline", "." },
}

settings {
  -- 《示例县突发事件报告范围与标准》 (fictional): 事发后30分钟内电话报告，
  -- 1小时内书面报告.  Set your county's own figures.
  ce_first_report_due   = "30m",
  ce_written_report_due = "1h",
  ce_duty_check_at      = "09:00",
  ce_duty_rooms = { "town-chengguan", "town-shanhe", "town-beiling", "dept-water" },
  -- 004 二 7: the county health commission organises the county's health
  -- emergency team (县级卫生应急队伍) and files its year's record.
  ce_health_team_units = { "dept-health" },
  -- The county government and its emergency management bureau.
  bl_production_safety_hop = "authority",   -- 逐级上报，每级不超过2小时
  bl_public_health_hop     = "government",  -- 县政府2小时内报市政府
  bl_network_operator      = "other",
}

-- 特防期 the county keeps besides the baseline's 春节 and 国庆 (example
-- dates: set them as announced).
period "ce-two-sessions-2026" { from = "2026-03-04", to = "2026-03-11", tags = { "heightened" } }

channel "log" { kind = "log" }

person "ce-xu"    { name = "许一（县长）",           phone = "+8613800000501", roles = { "principal" }, channels = { "log" } }
person "ce-he"    { name = "何二（副县长，分管应急）", phone = "+8613800000502", roles = { "deputy" },    channels = { "log" } }
person "ce-lv"    { name = "吕三（县应急管理局局长）", phone = "+8613800000503", channels = { "log" } }
person "ce-shi"   { name = "施四（县政府办副主任）",   phone = "+8613800000504", channels = { "log" } }
person "ce-zhang" { name = "张五（总值班室值班员）",   phone = "+8613800000505", channels = { "log" } }
person "ce-kong"  { name = "孔六（城关镇应急办）",     phone = "+8613800000506", channels = { "log" } }
person "ce-cao"   { name = "曹七（山河镇应急办）",     phone = "+8613800000507", channels = { "log" } }
person "ce-yan"   { name = "严八（北岭镇应急办）",     phone = "+8613800000508", channels = { "log" } }
person "ce-hua"   { name = "华九（县水利局）",         phone = "+8613800000509", channels = { "log" } }
person "ce-bai"   { name = "白十一（县卫健委应急科）",   phone = "+8613800000511", channels = { "log" } }
person "ce-jin"   { name = "金十（总值班室值班员）",   phone = "+8613800000510", channels = { "log" } }

-- 24小时值班: the duty officers take a day each, handing over at 08:30.
-- 领导带班: a leader a week; the 节假日值班表 names who leads on holidays.
roster "duty" { handover = "08:30", start = "2026-01-05", every = "1d",
                rotation = { "ce-zhang", "ce-jin" } }
roster "leader-on-duty" { handover = "08:30", start = "2026-01-05", every = "7d",
                rotation = { "ce-shi", "ce-he" },
                on = { ["2026-10-01"] = "ce-xu", ["2026-10-02"] = "ce-he" } }
group "ce-office"    { name = "县应急管理办公室", members = { "ce-lv" }, roles = { "office" } }
group "ce-committee" { name = "县应急委员会", members = { "ce-xu", "ce-he", "ce-lv" }, roles = { "leadership" } }
group "ce-townships" { name = "乡镇、部门应急办", members = { "ce-kong", "ce-cao", "ce-yan", "ce-hua" } }
group "ce-city"      { name = "市政府总值班室", members = {}, channels = { "log" }, roles = { "superior" } }

-- The units (SPEC §5a): the city above, the county (its leaders, office
-- and duty room: the roles above), and the townships and departments
-- that report to it, each with its own emergency office.  The pack tells
-- "parent.duty" and "parent.office" (the unit above the one reporting)
-- and chases "unit.office" (the one that owes the report).
unit "city-gov" { name = "示例市人民政府", kind = "government",
                  roles = { duty = "ce-city", office = "ce-city" } }
unit "county-gov" { name = "示例县人民政府", parent = "city-gov", kind = "government",
                    roles = { principal = "ce-xu", deputy = "ce-he",
                              office = "ce-office", duty = "duty",
                              ["leader-on-duty"] = "leader-on-duty" } }
unit "town-chengguan" { name = "城关镇人民政府", parent = "county-gov", kind = "township",
                        roles = { office = "ce-kong" } }
unit "town-shanhe"    { name = "山河镇人民政府", parent = "county-gov", kind = "township",
                        roles = { office = "ce-cao" } }
unit "town-beiling"   { name = "北岭镇人民政府", parent = "county-gov", kind = "township",
                        roles = { office = "ce-yan" } }
unit "dept-water"     { name = "示例县水利局", parent = "county-gov", kind = "department",
                        roles = { office = "ce-hua" } }
unit "dept-health"    { name = "示例县卫生健康委员会", parent = "county-gov", kind = "department",
                        roles = { office = "ce-bai" } }

-- 事发地 for the baseline's procedures, which name no unit role.
role "responsible" { default = "ce-townships" }
