-- Example site for the national baseline alone: a fictional county
-- hospital (某县人民医院), an organisation where accidents, public-health
-- events, network incidents, petitions and public opinion arise and which
-- reports them onward.  Fictional people; every notification goes to the
-- log channel.  Other packs' sites list this directory beside their own:
--   rules = { "../holidays", "../baseline", "." }
--
--   build/tocsind -c rules/baseline/example-site.lua --check
--   build/tocsinctl simulate -c rules/baseline/example-site.lua \
--       --events rules/baseline/examples/production-accident.jsonl

site {
  listen = "127.0.0.1:8470",
  timezone = "Asia/Shanghai",
  rules = { "../holidays", "." },
}

-- Figures that differ between bodies (rules/baseline/*.lua says what each
-- value means).  This hospital is a unit, not an authority.
settings {
  bl_production_safety_hop = "unit",   -- 单位: 1小时内报安全生产监督管理部门
  bl_public_health_hop     = "unit",   -- 医疗机构: 2小时内报县卫生健康委
  bl_network_operator      = "other",  -- 非关键信息基础设施运营者: 4小时
}

channel "log" { kind = "log" }

-- 院领导: the principal leader (院长) and the deputies in charge (分管副院长).
person "bl-wang"  { name = "王一（院长）",       phone = "+8613800000101", roles = { "principal", "leadership" }, channels = { "log" } }
person "bl-li"    { name = "李二（分管副院长）", phone = "+8613800000102", roles = { "deputy", "leadership" },    channels = { "log" } }
person "bl-zhang" { name = "张三（总值班）",     phone = "+8613800000103",                                          channels = { "log" } }
person "bl-chen"  { name = "陈八（总值班）",     phone = "+8613800000108",                                          channels = { "log" } }
-- 总值班 (24小时值班): a day each, handing over at 08:00.
roster "duty" { handover = "08:00", start = "2026-01-05", rotation = { "bl-zhang", "bl-chen" } }
person "bl-zhao"  { name = "赵四（院办主任）",   phone = "+8613800000104",                                          channels = { "log" } }
person "bl-qian"  { name = "钱五（保卫科长）",   phone = "+8613800000105",                                          channels = { "log" } }
person "bl-sun"   { name = "孙六（医务科长）",   phone = "+8613800000106",                                          channels = { "log" } }
person "bl-zhou"  { name = "周七（信息科长）",   phone = "+8613800000107",                                          channels = { "log" } }

group "bl-office"   { name = "院办公室（应急办）", members = { "bl-zhao" }, roles = { "office" } }
group "bl-security" { name = "保卫科（安全生产）", members = { "bl-qian" } }
group "bl-medical"  { name = "医务科（公共卫生）", members = { "bl-sun" } }
group "bl-it"       { name = "信息科（网络安全）", members = { "bl-zhou" } }
group "bl-county-health" { name = "县卫生健康委（上级）", members = {}, channels = { "log" } }

-- 责任科室 by category; everything else falls to the office.
role "responsible" {
  default = "bl-office",
  production_safety = "bl-security",
  public_health = "bl-medical", epidemic = "bl-medical",
  network_security = "bl-it",
  petition = "bl-office", public_opinion = "bl-office",
}
role "superior" { default = "bl-county-health" }

-- The units (docs/rules.md, "Units"): the county health commission above,
-- the hospital, and its departments that report, each with its head.  The
-- baseline names no unit role; the declarations make a report from an
-- unknown department a 400 unknown_unit, and name the units on the board.
unit "county-health" { name = "示例县卫生健康委员会", kind = "commission" }
unit "bl-hospital"   { name = "示例县人民医院", parent = "county-health", kind = "hospital",
                       roles = { principal = "bl-wang", office = "bl-office" } }
unit "logistics"     { name = "后勤保障科（安全生产）", parent = "bl-hospital", kind = "department",
                       roles = { principal = "bl-qian" } }
unit "fever-clinic"  { name = "发热门诊", parent = "bl-hospital", kind = "department",
                       roles = { principal = "bl-sun" } }
unit "his"           { name = "医院信息系统（HIS）", parent = "bl-hospital", kind = "system",
                       roles = { principal = "bl-zhou" } }
unit "publicity"     { name = "宣传科", parent = "bl-hospital", kind = "department" }
unit "letters"       { name = "信访办", parent = "bl-hospital", kind = "department" }
