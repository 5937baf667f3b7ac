-- Event types beyond the built-in ones (see rules/baseline/types.lua).
event_type "duty" { title = "值守在岗确认（每日在岗核查）" }
event_type "rollcall" { title = "特防期值守点名应答" }
