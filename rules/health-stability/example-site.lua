-- Example site: a fictional county health commission (示例县卫生健康委员会)
-- running the stability-work procedures of seed 003 on the national
-- baseline.  Fictional people; every notification goes to the log channel.
--
--   build/tocsind -c rules/health-stability/example-site.lua --check
--   build/tocsinctl simulate -c rules/health-stability/example-site.lua \
--       --events rules/health-stability/examples/village-doctors.jsonl
--
-- How a real commission maps itself onto the pack's roles (003 附件1, 附件2):
--   commander       指挥长: 党组书记、主任
--   vice-commander  副指挥长: 党组副书记、副主任, 党组成员、副主任, 副主任科员
--   command-member  成员: 办公室、人事股、应急办、信访办、业务股、技术股、疾控股
--   leadership      战时状态突发事件应急处置领导小组 (组长、副组长、成员)
--   office          领导小组办公室 (设在应急办, 应急办主任兼任办公室主任)
--   petition-office 信访办
--   principal       党组书记、主任; deputy: the 分管副主任
--   duty            24小时专人值班; leader-on-duty: 领导在岗带班
--   superior        县委、县政府 (县委政法委、县信访局)
--
-- Its units (SPEC §5a, docs/rules.md "Units"): the commission itself
-- (county-health, under the county government) and the 24 各乡镇卫生院、县直
-- 医疗卫生单位 of the seed's distribution list, read from examples/units.csv
-- as the office keeps it in WPS: each with its own principal (院长、主任), and
-- three hospitals with their own duty rotation (a roster bound to "duty").
-- The procedures tell "unit.principal" — the head of the hospital the report
-- came from — and a hospital with no principal in the file falls back to the
-- commission's (石桥镇卫生院 and 监督执法大队 here, whose heads are vacant).

site {
  listen = "127.0.0.1:8470",
  timezone = "Asia/Shanghai",
  rules = { "../holidays", "../baseline", "." },
}

settings {
  bl_production_safety_hop = "unit",
  bl_public_health_hop     = "authority",  -- a health authority: 2 h to the county government and the city commission
  bl_network_operator      = "other",
  hs_daily_at              = "17:00",      -- 日报告 by 17:00 (seed: no hour)
  -- 各乡镇卫生院、县直医疗卫生单位 that owe the daily report
  hs_units = { "wsy-chengguan", "wsy-liuzhuang", "wsy-hedong", "county-hospital", "county-cdc" },
}

-- 战时状态: the windows the county declares (example dates; set them as
-- announced).  The baseline's 春节 and 国庆 windows carry "heightened".
period "hs-wartime-two-sessions-2026" { from = "2026-03-03", to = "2026-03-12", tags = { "wartime" } }
period "hs-wartime-national-day-2026" { from = "2026-09-28", to = "2026-10-08", tags = { "wartime" } }

channel "log" { kind = "log" }

-- 战时状态指挥调度专班 (003 附件1), fictional names
person "hs-gao"   { name = "高一（党组书记、主任，指挥长）",     phone = "+8613800000401", roles = { "principal", "commander" }, channels = { "log" } }
person "hs-shi"   { name = "石二（党组副书记、副主任，副指挥长）", phone = "+8613800000402", roles = { "vice-commander" }, channels = { "log" } }
person "hs-ma"    { name = "马三（副主任，副指挥长）",           phone = "+8613800000403", roles = { "vice-commander" }, channels = { "log" } }
person "hs-si"    { name = "司四（副主任，副指挥长）",           phone = "+8613800000404", roles = { "vice-commander" }, channels = { "log" } }
person "hs-wang"  { name = "王五（办公室主任）",                 phone = "+8613800000405", roles = { "command-member" }, channels = { "log" } }
person "hs-zhao"  { name = "赵六（应急办主任）",                 phone = "+8613800000406", roles = { "command-member" }, channels = { "log" } }
person "hs-liu"   { name = "刘七（信访办主任）",                 phone = "+8613800000407", roles = { "command-member" }, channels = { "log" } }
person "hs-hou"   { name = "侯八（疾控股负责人）",               phone = "+8613800000408", roles = { "command-member" }, channels = { "log" } }
person "hs-yu"    { name = "于九（委值班员）",                   phone = "+8613800000409", channels = { "log" } }
person "hs-tan"   { name = "谭十（委值班员）",                   phone = "+8613800000410", channels = { "log" } }

-- 24小时专人值班: two duty officers, a day each, handing over at 08:30.
-- 领导在岗带班: the vice-commanders a week each, from Monday.
roster "duty" { handover = "08:30", start = "2026-01-05", every = "1d",
                rotation = { "hs-yu", "hs-tan" } }
roster "leader-on-duty" { start = "2026-01-05", every = "7d",
                rotation = { "hs-shi", "hs-ma", "hs-si" } }

group "hs-leading" { name = "战时状态突发事件应急处置领导小组", members = { "hs-gao", "hs-shi", "hs-wang", "hs-zhao", "hs-liu", "hs-hou" }, roles = { "leadership" } }
group "hs-office"  { name = "领导小组办公室（应急办）", members = { "hs-zhao" }, roles = { "office" } }
group "hs-petition" { name = "信访办", members = { "hs-liu" }, roles = { "petition-office" } }
group "hs-county"  { name = "县委、县政府（县委政法委、县信访局）", members = {}, channels = { "log" }, roles = { "superior" } }

-- The county above the commission, and the commission as a unit: its
-- office, duty and petition office are those of the roles above.
unit "county-gov" { name = "示例县委、县政府", kind = "government",
                    roles = { office = "hs-county" } }
unit "county-health" { name = "示例县卫生健康委员会", parent = "county-gov",
                       kind = "commission",
                       roles = { principal = "hs-gao", office = "hs-office",
                                 duty = "duty",
                                 ["petition-office"] = "hs-petition" } }

-- 各乡镇卫生院、县直医疗卫生单位: one row a unit, one column a role.
units_csv "examples/units.csv"

-- Their heads (the units.csv "principal" column), fictional.
person "hs-u-chengguan" { name = "程立（城关镇卫生院院长）", phone = "+8613800000421", channels = { "log" } }
person "hs-u-liuzhuang" { name = "柳青（刘庄乡卫生院院长）", phone = "+8613800000422", channels = { "log" } }
person "hs-u-hedong" { name = "贺平（河东乡卫生院院长）", phone = "+8613800000423", channels = { "log" } }
person "hs-u-liulin" { name = "林川（柳林乡卫生院院长）", phone = "+8613800000424", channels = { "log" } }
person "hs-u-beihu" { name = "胡晓（北湖乡卫生院院长）", phone = "+8613800000425", channels = { "log" } }
person "hs-u-nangang" { name = "南钧（南岗镇卫生院院长）", phone = "+8613800000426", channels = { "log" } }
person "hs-u-qingshan" { name = "秦山（青山乡卫生院院长）", phone = "+8613800000427", channels = { "log" } }
person "hs-u-xinghua" { name = "邢华（杏花乡卫生院院长）", phone = "+8613800000428", channels = { "log" } }
person "hs-u-huaishu" { name = "郝树（槐树镇卫生院院长）", phone = "+8613800000429", channels = { "log" } }
person "hs-u-sanhe" { name = "单禾（三合乡卫生院院长）", phone = "+8613800000430", channels = { "log" } }
person "hs-u-taoyuan" { name = "陶源（桃园镇卫生院院长）", phone = "+8613800000431", channels = { "log" } }
person "hs-u-shuangjing" { name = "双静（双井乡卫生院院长）", phone = "+8613800000432", channels = { "log" } }
person "hs-u-baiyang" { name = "白扬（白杨乡卫生院院长）", phone = "+8613800000433", channels = { "log" } }
person "hs-u-xinhe" { name = "辛和（新河镇卫生院院长）", phone = "+8613800000434", channels = { "log" } }
person "hs-u-zaolin" { name = "翟林（枣林乡卫生院院长）", phone = "+8613800000435", channels = { "log" } }
person "hs-u-songling" { name = "宋岭（松岭乡卫生院院长）", phone = "+8613800000436", channels = { "log" } }
person "hs-u-maji" { name = "马骥（马集镇卫生院院长）", phone = "+8613800000437", channels = { "log" } }
person "hs-u-hospital" { name = "侯仁（人民医院院长）", phone = "+8613800000438", channels = { "log" } }
person "hs-u-tcm" { name = "钟岐（中医院院长）", phone = "+8613800000439", channels = { "log" } }
person "hs-u-mch" { name = "范慈（妇幼保健院院长）", phone = "+8613800000440", channels = { "log" } }
person "hs-u-cdc" { name = "戴防（疾病预防控制中心主任）", phone = "+8613800000441", channels = { "log" } }
person "hs-u-120" { name = "严急（急救指挥中心（120）主任）", phone = "+8613800000442", channels = { "log" } }

-- 24小时专人值班 of the three units with a duty rotation of their own
-- (units.csv "duty"): a day each, handing over at 08:00.  A unit without
-- one falls back to the commission's duty roster.
person "hs-d-lz1"  { name = "柳一（刘庄乡卫生院值班）",   phone = "+8613800000451", channels = { "log" } }
person "hs-d-lz2"  { name = "柳二（刘庄乡卫生院值班）",   phone = "+8613800000452", channels = { "log" } }
person "hs-d-ng1"  { name = "南一（南岗镇卫生院值班）",   phone = "+8613800000453", channels = { "log" } }
person "hs-d-ng2"  { name = "南二（南岗镇卫生院值班）",   phone = "+8613800000454", channels = { "log" } }
person "hs-d-ch1"  { name = "侯一（县人民医院总值班）",   phone = "+8613800000455", channels = { "log" } }
person "hs-d-ch2"  { name = "侯二（县人民医院总值班）",   phone = "+8613800000456", channels = { "log" } }
roster "hs-liuzhuang-duty" { handover = "08:00", start = "2026-01-05", rotation = { "hs-d-lz1", "hs-d-lz2" } }
roster "hs-nangang-duty"   { handover = "08:00", start = "2026-01-05", rotation = { "hs-d-ng1", "hs-d-ng2" } }
roster "hs-hospital-duty"  { handover = "08:00", start = "2026-01-05", rotation = { "hs-d-ch1", "hs-d-ch2" } }

-- 分管副主任 and 责任股室 by category.
role "deputy"      { default = "hs-ma", petition = "hs-shi", public_health = "hs-si", epidemic = "hs-si" }
role "responsible" { default = "hs-office", petition = "hs-petition" }
