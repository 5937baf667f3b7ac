-- Test site for the obligation lifecycle: the pack in lifecycle/, an
-- office and nobody else.  Fictional people.
site {
  timezone = "Asia/Shanghai",
  rules = { "lifecycle", "../../holidays" },
}

channel "log" { kind = "log" }
person "qian" { name = "钱二（办公室）", phone = "+8613800000002", channels = { "log" } }
group "office" { name = "信访办公室", members = { "qian" } }
