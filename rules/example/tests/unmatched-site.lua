-- Test site for unmatched reports: the example pack in an office that
-- names its own unmatched roles, one of which it never mapped (a typo,
-- or a post not yet staffed).  That one falls back to the office, which
-- is told once.  Fictional people.
site {
  timezone = "Asia/Shanghai",
  rules = { "..", "../../holidays" },
  unmatched = { "office", "night-leader" },
}

channel "log" { kind = "log" }
person "zhao" { name = "赵一（值班员）", phone = "+8613800000001", roles = { "duty" }, channels = { "log" } }
person "qian" { name = "钱二（办公室）", phone = "+8613800000002", channels = { "log" } }
person "li"   { name = "李四（局长）", phone = "+8613800000004", roles = { "principal", "deputy" }, channels = { "log" } }
person "zhou" { name = "周五（信息科）", phone = "+8613800000005", roles = { "responsible" }, channels = { "log" } }
group "office" { name = "局应急管理办公室", members = { "qian" } }
role "superior" { default = "office" }
