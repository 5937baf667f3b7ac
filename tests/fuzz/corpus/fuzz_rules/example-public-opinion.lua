-- 网络舆情 (seed 001, 三(四)): 重大舆情 is reported to the leadership at
-- once; 较大 and 一般 go to the responsible department, which must file a
-- follow-up within the day.

procedure "public-opinion" {
  title = "网络舆情事件",
  match = { category = "public_opinion" },
  on_open = { notify = { "responsible" } },
  obligations = {
    { id = "follow-up", title = "当日报送舆情处置情况（续报）",
      due = "24h", met_by = { type = { "update", "final" } },
      owner = "responsible", on_breach = "standard" },
  },
  grades = {
    [1] = { notify = { "principal", "deputy", "office" } },
    [2] = { notify = { "principal", "deputy", "office" } },
  },
}
