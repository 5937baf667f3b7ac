-- Event types beyond the built-in ones (see rules/baseline/types.lua).
event_type "review"  { title = "经验总结专题报告" }
event_type "data"    { title = "疫情医疗保障数据报送" }
event_type "prefund" { title = "预拨疫情救治医保资金" }
event_type "monitor" { title = "网络舆情日常监测记录" }
