-- The event types these procedures wait for beyond the built-in ones
-- (report, update, final, assessment, ack, resolve, daily, feedback):
-- tocsind --check warns of a met_by type that nobody declares, a typo.
event_type "end"     { title = "应急响应终止、确认事件终止（结案报告、总结自此起算）" }
event_type "accept"  { title = "受理、转送或交办，并告知信访人（信访工作条例）" }
event_type "extend"  { title = "办理期限经本机关负责人批准延长" }
event_type "respond" { title = "政务舆情回应" }
event_type "release" { title = "发布权威信息" }
event_type "press"   { title = "举行新闻发布会" }
