-- Test site for personal notification rules: the example site, but the
-- principal li sets his own order of channels -- the robot at once, an
-- SMS after 5 minutes, a call after 10 -- and each of those channels is
-- the log here, so the pack runs with no gateway.  Fictional people.

site {
  timezone = "Asia/Shanghai",
  rules = { "..", "../../holidays" },
}

channel "log" { kind = "log" }
channel "dingtalk" { kind = "log" }
channel "sms" { kind = "log" }
channel "voice" { kind = "log" }

person "zhao"  { name = "赵一（值班员）",   phone = "+8613800000001",                          channels = { "log" } }
person "qian"  { name = "钱二（办公室）",   phone = "+8613800000002",                          channels = { "log" } }
person "sun"   { name = "孙三（分管副局长）", phone = "+8613800000003", roles = { "deputy" },    channels = { "log" } }
person "li"    { name = "李四（局长）",     phone = "+8613800000004", roles = { "principal" },
                 notify_rules = { { "dingtalk" }, { after = "5m", "sms" }, { after = "10m", "voice" } } }
person "zhou"  { name = "周五（信息科）",   phone = "+8613800000005",                          channels = { "log" } }
person "wu"    { name = "吴六（值班员）",   phone = "+8613800000006",                          channels = { "log" } }
person "zheng" { name = "郑七（值班员）",   phone = "+8613800000007",                          channels = { "log" } }

group "office"   { name = "局应急管理办公室", members = { "qian" } }
group "it"       { name = "信息科",           members = { "zhou" } }
group "city"     { name = "市应急管理局（上级）", members = {}, channels = { "log" } }

-- 24小时值班: "duty" means whoever is on duty when the message is sent.
-- Shifts change at 08:30; on holidays the dated duty list (节假日值班表)
-- names a leader instead of the turn.
roster "duty" {
  handover = "08:30", start = "2026-03-02", every = "1d",
  rotation = { "zhao", "wu", "zheng" },
  on = { ["2026-10-01"] = "li", ["2026-10-02"] = "sun" },
}

role "superior"    { default = "city" }
-- 责任处室: who answers for an incident depends on its category.
role "responsible" { default = "office", network_security = "it" }

-- The units that report here (docs/rules.md, "Units"): the bureau under
-- the city, and the two hospitals under the bureau.  A report from a unit
-- not declared is refused (400 unknown_unit): a misspelt id files for
-- nobody otherwise.
unit "city"       { name = "市应急管理局", kind = "bureau" }
unit "bureau"     { name = "示例局", parent = "city", kind = "bureau",
                    roles = { principal = "li", office = "office" } }
unit "hospital-a" { name = "示例第一医院", parent = "bureau", kind = "hospital" }
unit "hospital-b" { name = "示例第二医院", parent = "bureau", kind = "hospital" }
