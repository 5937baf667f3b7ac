-- 政务舆情回应 (answering public opinion about government work).
-- Source: 国务院办公厅关于在政务公开工作中进一步做好政务舆情回应的通知
-- (国办发〔2016〕61号): 对涉及特别重大、重大突发事件的政务舆情，最迟要在
-- 5小时内发布权威信息，在24小时内举行新闻发布会; 对涉及群众切身利益的政务
-- 舆情，要在48小时内予以回应.
--
-- Events: respond (回应), release (发布权威信息), press (新闻发布会).
-- Every opinion is answered within 48 hours.  The 5-hour and 24-hour duties
-- bind opinion about 重大 and 特别重大 events: they are the obligations of
-- grade 2, owed from the opening when the report says 重大 or worse and
-- from the event that first raises it to 重大 otherwise, due within 5 and
-- 24 hours of the opening either way.  An opinion never graded 重大 owes
-- neither; one lowered from 重大 afterwards still owes both.

procedure "bl-public-opinion" {
  title = "政务舆情回应",
  match = { category = "public_opinion" },
  obligations = {
    { id = "respond", title = "48小时内予以回应（国办发〔2016〕61号）",
      due = "48h", met_by = { type = { "respond", "release", "press" } },
      owner = "responsible", on_breach = "bl-standard" },
  },
  grades = {
    [2] = {   -- 涉及特别重大、重大突发事件的政务舆情
      obligations = {
        { id = "release", title = "最迟5小时内发布权威信息（国办发〔2016〕61号）",
          due = "5h", met_by = { type = "release" },
          remind = { "1h" },
          owner = "responsible", on_breach = "bl-standard" },
        { id = "press", title = "24小时内举行新闻发布会（国办发〔2016〕61号）",
          due = "24h", met_by = { type = "press" },
          owner = "responsible", on_breach = "bl-standard" },
      },
    },
  },
}
