-- Event types beyond the built-in ones (see rules/baseline/types.lua).
event_type "selfcheck" { title = "每周风险隐患自查" }
event_type "order"     { title = "限期治理（整改）通知，attrs.deadline 为期限" }
event_type "rectified" { title = "隐患整改到位" }
event_type "county-check" { title = "每月县集中排查记录" }
event_type "drill"        { title = "本月演练记录" }
event_type "training"     { title = "本季度培训记录" }
event_type "expert-check" { title = "季度专家排查记录" }
