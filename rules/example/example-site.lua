-- The bundled example site: what `make run` and a bare `tocsind` use.
-- Fictional people; every notification goes to the log channel, so it runs
-- with no gateway at all.  Copy this file to describe a real office.

site {
  listen = "127.0.0.1:8470",
  timezone = "Asia/Shanghai",
  rules = { ".", "../holidays" },  -- rule packs, relative to this file
}

channel "log" { kind = "log" }

person "zhao"  { name = "赵一（值班员）",   phone = "+8613800000001", roles = { "duty" },      channels = { "log" } }
person "qian"  { name = "钱二（办公室）",   phone = "+8613800000002",                          channels = { "log" } }
person "sun"   { name = "孙三（分管副局长）", phone = "+8613800000003", roles = { "deputy" },    channels = { "log" } }
person "li"    { name = "李四（局长）",     phone = "+8613800000004", roles = { "principal" }, channels = { "log" } }
person "zhou"  { name = "周五（信息科）",   phone = "+8613800000005",                          channels = { "log" } }

group "office"   { name = "局应急管理办公室", members = { "qian" } }
group "it"       { name = "信息科",           members = { "zhou" } }
group "city"     { name = "市应急管理局（上级）", members = {}, channels = { "log" } }

role "superior"    { default = "city" }
-- 责任处室: who answers for an incident depends on its category.
role "responsible" { default = "office", network_security = "it" }
