policy "standard" {
  { notify = { "office", "deputy" }, message = "{title} {{x}} {ack_url}" },
  { after = "15m", notify = { "principal" } },
  repeat_every = "1h", max_repeats = 3,
}
procedure "p1" {
  title = "t", match = { category = { "network_security", "petition" }, grade = { 1, 2 }, zero = true },
  on_open = { notify = { "office" } },
  obligations = {
    { id = "a", due = "2h", due_in = { heightened = "1h" }, due_by_grade = { [2] = "30m" },
      from = "occurred", met_by = { type = "assessment" }, remind = { "30m", "10m" },
      owner = "responsible", on_breach = "standard", messages = { breach = "{obligation} {late}" } },
    { id = "b", due = "5cd", met_by = function(ev) return ev.type == "final" end, owner = "duty" },
    { id = "c", due = "10wd", met_by = { type = "final" }, on_breach = "standard" },
  },
  grades = { [1] = { notify = { "superior" }, obligations = { { id = "d", due = "1h", met_by = { type = "update" }, owner = "office" } } } },
  periods = { heightened = { notify = { "principal" } } },
  classify = function(ev) return 3 end,
  messages = { opened = "{title}", graded = "{grade}" },
}
procedure "p2" { match = { type = "report" }, on_open = { notify = "office" } }
procedure "p3" { match = function(ev) return false end }
recurring "daily" { at = "17:00", close = "24:00", units = { "a", "b" }, met_by = { type = "daily" }, on_breach = "standard" }
recurring "weekly" { at = "09:00", every = "week", weekday = 1, units = function() return { "a" } end, met_by = { type = "weekly" }, owner = "office" }
period "two-sessions" { from = "2027-03-03", to = "2027-03-15", tags = { "heightened" } }
holidays "2027" { source = "x", off = { "2027-01-01..2027-01-03", "2027-02-10" }, on = { "2027-02-07" } }
roster "lead" { handover = "08:30", start = "2026-01-05", every = "7d", rotation = { "li" }, on = { ["2026-10-01"] = "qian" } }
channel "hook" { kind = "webhook", url = "https://example.invalid/hook", secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LKLaY" }
channel "sms" { kind = "sms", provider = "http", url = "https://example.invalid/sms", rate = "20/1m", fallback = "log" }
token "ingest" { secret = "0123456789abcdef0123", units = { "a" } }
person "x" { name = "x", phone = "+8613800000009", roles = { "office" } }
group "g" { name = "g", members = { "x" }, roles = { "leadership" } }
role "r" { default = "g", petition = "x" }
