-- Second example site: the town health centre (示例镇卫生院) as a body of its
-- own, using the medical-dispute procedures of this pack (002-4) on the
-- national baseline, with no villages to self-check.  Same fictional people
-- as the health centre in example-site.lua.
--
--   build/tocsind -c rules/social-safety/health-centre-site.lua --check
--   build/tocsinctl simulate -c rules/social-safety/health-centre-site.lua \
--       --events rules/social-safety/examples/medical-dispute.jsonl
--
-- How a hospital maps the roles: principal 院长, deputy 主管院长, office and
-- patient-relations 医患关系办公室, department-head 科室主任、护士长 (by unit
-- is not possible: all of them), leadership 院领导班子, duty 总值班,
-- superior and health-authority 县卫生健康委 (the seed's 卫生厅).
site {
  listen = "127.0.0.1:8470",
  timezone = "Asia/Shanghai",
  rules = { "../holidays", "../baseline", "." },
}

settings {
  bl_production_safety_hop = "unit",
  bl_public_health_hop     = "unit",
  bl_network_operator      = "other",
  ss_check_units           = {},        -- a hospital has no villages to check
}

channel "log" { kind = "log" }
person "ss-liang" { name = "梁八（卫生院院长）",   phone = "+8613800000308", channels = { "log" } }
person "ss-song"  { name = "宋九（主管副院长）",   phone = "+8613800000309", channels = { "log" } }
person "ss-tang"  { name = "唐十（医患关系办公室）", phone = "+8613800000310", channels = { "log" } }
person "ss-han"   { name = "韩十一（内科主任）",   phone = "+8613800000311", channels = { "log" } }
person "ss-feng"  { name = "冯十二（外科护士长）", phone = "+8613800000312", channels = { "log" } }
person "ss-xu"    { name = "徐十三（院办、总值班）", phone = "+8613800000313", channels = { "log" } }
person "ss-qin"   { name = "秦十五（总值班）", phone = "+8613800000315", channels = { "log" } }
-- 总值班: a day each, handing over at 08:00.
roster "duty" { handover = "08:00", start = "2026-01-05", rotation = { "ss-xu", "ss-qin" } }

group "ss-mr-office"  { name = "医患关系办公室", members = { "ss-tang" }, roles = { "patient-relations", "office" } }
group "ss-dept-heads" { name = "科室主任、护士长", members = { "ss-han", "ss-feng" }, roles = { "department-head", "responsible" } }
group "ss-leaders"    { name = "院领导班子", members = { "ss-liang", "ss-song" }, roles = { "leadership" } }
group "ss-county-health" { name = "县卫生健康委", members = {}, channels = { "log" }, roles = { "superior", "health-authority" } }
group "ss-police"     { name = "辖区派出所", members = {}, channels = { "log" }, roles = { "police" } }
group "ss-foreign"    { name = "县外事办", members = {}, channels = { "log" }, roles = { "foreign-affairs" } }
group "ss-county-ema" { name = "县应急管理局", members = {}, channels = { "log" }, roles = { "emergency-management" } }
group "ss-discipline" { name = "院纪检", members = {}, channels = { "log" }, roles = { "discipline" } }
role "principal" { default = "ss-liang" }
role "deputy"    { default = "ss-song" }
