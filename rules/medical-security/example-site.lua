-- Example site: a fictional city medical-security bureau (示例市医疗保障局)
-- running the procedures of seeds 000 and 001 on the national baseline.
-- Fictional people and phone numbers; every notification goes to the log
-- channel, so it runs with no gateway.
--
--   build/tocsind -c rules/medical-security/example-site.lua --check
--   build/tocsinctl simulate -c rules/medical-security/example-site.lua \
--       --events rules/medical-security/examples/ransomware.jsonl
--
-- How a real bureau maps itself onto the pack's roles:
--   principal    局长 (党组书记) — 领导小组组长
--   deputy       the deputy director in charge (分管副局长) of the matter:
--                one per category below
--   leadership   局应急管理领导小组 (突发事件处置工作领导小组)
--   office       局应急管理办公室 (设在局办公室 / 综合办公室)
--   duty         the 24-hour duty officer (实行24小时值班制度)
--   responsible  责任部门 by category (001 三: 综合办公室, 医药服务处 …)
--   cooperating  配合部门: 各处室、各分局、医保中心
--   superior     市应急管理局 (also the unit above the bureau: see the units)
--   police       市公安局 (110)
--   netinfo      市委网信办
--   opinion-watch 两会、国庆等节点的舆情24小时值班专人

site {
  listen = "127.0.0.1:8470",
  timezone = "Asia/Shanghai",
  rules = { "../holidays", "../baseline", "." },
}

-- Figures that differ between bodies (see rules/baseline/*.lua and
-- rules/medical-security/00-common.lua).
settings {
  bl_production_safety_hop = "unit",   -- the bureau's own premises
  bl_public_health_hop     = "none",   -- the health system reports epidemics
  bl_network_operator      = "other",  -- 4 hours to the network authority
  ms_verify_due            = "2h",     -- 核实并报告 (seed: 及时)
  ms_review_due            = "30cd",   -- 专题报告 (seed: no time)
  ms_prefund_due           = "24h",    -- 预拨资金 (seed: 急时)
  ms_monitor_at            = "17:00",  -- 舆情日常监测记录 (seed: 每天, no hour)
  ms_monitor_units         = { "general-office", "medical-services", "center" },
}

-- 2026年全国两会: set the dates each year as announced.  With the
-- baseline's 春节 and 国庆 windows this is when the opinion watch is on.
period "ms-two-sessions-2026" { from = "2026-03-04", to = "2026-03-11", tags = { "heightened" } }

channel "log" { kind = "log" }

-- 局领导
person "ms-zhang" { name = "张一（局长）",           phone = "+8613800000201", roles = { "principal" }, channels = { "log" } }
person "ms-wang"  { name = "王二（副局长，分管办公室、信访、安全）", phone = "+8613800000202", channels = { "log" } }
person "ms-li"    { name = "李三（副局长，分管医药服务）", phone = "+8613800000203", channels = { "log" } }
person "ms-zhao"  { name = "赵四（副局长，分管宣传）",   phone = "+8613800000204", channels = { "log" } }
-- 科室、中心
person "ms-qian"  { name = "钱五（综合办公室主任）", phone = "+8613800000205", channels = { "log" } }
person "ms-sun"   { name = "孙六（综合办公室，值班）", phone = "+8613800000206", channels = { "log" } }
person "ms-zhou"  { name = "周七（医药服务处处长）", phone = "+8613800000207", channels = { "log" } }
person "ms-wu"    { name = "吴八（医保中心主任）",   phone = "+8613800000208", channels = { "log" } }
person "ms-zheng" { name = "郑九（第一分局局长）",   phone = "+8613800000209", channels = { "log" } }
person "ms-feng"  { name = "冯十（综合办公室，舆情值班）", phone = "+8613800000210", channels = { "log" } }
person "ms-chu"   { name = "褚十一（综合办公室，值班）", phone = "+8613800000211", channels = { "log" } }

-- 24小时值班 (000 三(二)1): a day each, handing over at 08:30.
roster "duty" { handover = "08:30", start = "2026-01-05", rotation = { "ms-sun", "ms-chu" } }
-- 舆情24小时值班 in 两会 and 国庆 (001 三(四)): 冯十 keeps it, and the
-- holiday duty list (节假日值班表) names who stands in on the later days.
roster "opinion-watch" { handover = "08:30", start = "2026-01-05", rotation = { "ms-feng" },
  on = { ["2026-10-04"] = "ms-chu", ["2026-10-05"] = "ms-chu", ["2026-10-06"] = "ms-sun",
         ["2026-10-07"] = "ms-sun" } }

group "ms-leadership" { name = "局应急管理领导小组", members = { "ms-zhang", "ms-wang", "ms-li", "ms-zhao" }, roles = { "leadership" } }
group "ms-office"     { name = "局应急管理办公室（综合办公室）", members = { "ms-qian" }, roles = { "office" } }
group "ms-medical"    { name = "医药服务处", members = { "ms-zhou" } }
group "ms-opinion"    { name = "舆情责任部门（综合办公室、医药服务处、医保中心）", members = { "ms-qian", "ms-zhou", "ms-wu" } }
group "ms-all"        { name = "各处室、各分局、医保中心", members = { "ms-zhou", "ms-wu", "ms-zheng" } }
group "ms-city-ema"   { name = "市应急管理局", members = {}, channels = { "log" } }
group "ms-police"     { name = "市公安局（110指挥中心）", members = {}, channels = { "log" } }
group "ms-netinfo"    { name = "市委网信办", members = {}, channels = { "log" } }

-- 分管负责人 by category: the deputy in charge of the matter.
role "deputy" {
  default = "ms-wang",
  network_security = "ms-li", epidemic = "ms-li",
  public_opinion = "ms-zhao",
}
-- 责任部门 (001 三): 综合办公室 unless the seed names another.
role "responsible" {
  default = "ms-office",
  network_security = "ms-medical", epidemic = "ms-medical",
  public_opinion = "ms-opinion",
}
role "cooperating" { default = "ms-all" }

-- The units (SPEC §5a): 市应急管理局 above the bureau, the bureau (its
-- principal, office and duty: the roles above), and the departments,
-- branches and the centre that report to it, each with its head.
-- ms-chain climbs them: the bureau's office and principal, then the
-- office of 市应急管理局 (000 三(一): 局应急办应即时上报市应急管理局).
unit "city-ema"  { name = "示例市应急管理局", kind = "bureau",
                   roles = { office = "ms-city-ema" } }
unit "ms-bureau" { name = "示例市医疗保障局", parent = "city-ema", kind = "bureau",
                   roles = { principal = "ms-zhang", office = "ms-office", duty = "duty" } }
unit "general-office"   { name = "综合办公室", parent = "ms-bureau", kind = "department",
                          roles = { principal = "ms-qian" } }
unit "medical-services" { name = "医药服务处", parent = "ms-bureau", kind = "department",
                          roles = { principal = "ms-zhou" } }
unit "letters"    { name = "信访科", parent = "ms-bureau", kind = "department" }
unit "settlement" { name = "医保结算科", parent = "ms-bureau", kind = "department" }
unit "portal"     { name = "局门户网站", parent = "ms-bureau", kind = "system" }
unit "center"     { name = "示例市医疗保障服务中心（医保中心）", parent = "ms-bureau",
                    kind = "centre", roles = { principal = "ms-wu" } }
unit "service-hall" { name = "医保服务大厅", parent = "ms-bureau", kind = "service-hall" }
unit "canteen"    { name = "机关食堂", parent = "ms-bureau", kind = "premises" }
unit "branch-1"   { name = "第一分局", parent = "ms-bureau", kind = "branch",
                    roles = { principal = "ms-zheng" } }
role "superior"    { default = "ms-city-ema" }
role "police"      { default = "ms-police" }
role "netinfo"     { default = "ms-netinfo" }
