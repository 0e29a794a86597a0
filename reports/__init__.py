"""Reports of the closed loop (考核) and of what citizens raise: the three rates (三率: 响应率,
解决率, 满意率) and the daily report, as DESIGN's "The closed loop" defines them, computed in the
database with SQL aggregates over `work_order`, `work_order_event` and `handling_unit`; hot issues
(每月一题) and surges (未诉先办) mined from the orders' texts (only the surge watch writes: its
alerts and their outbox events).

- reports/service.py: `Reports.daily(day)`, `Reports.rates(start, end, by)`, `Reports.totals(...)`
  and the definitions (periods are Beijing local dates, [start, end)).
- reports/render.py: the same reports as an aligned Chinese text table, CSV and XLSX.
- reports/overview.py: the supervisors' dashboard figures (volumes, the rates by unit, district
  and category, the overdue backlog) for today, this week or any dates.
- reports/monthly.py, reports/monthly_render.py: the monthly report (月度分析) as XLSX or HTML.
- reports/issue_mining.py, reports/hot_issues.py: hot issues (每月一题), one concrete problem at
  one place, over the work orders or a history CSV; reports/synthetic.py: generated message
  streams with known answers (tests, bench).
- reports/surges.py, reports/models.py: the surge watch (未诉先办) and its `surge_alert` table.
- reports/cli.py: `hotline report daily|rates|hot-issues|monthly`.
- reports/routes.py: `GET /api/reports/daily`, `/rates`, `/overview` and `/hot-issues`
  (a module-level `router`; its `ReportBook` on `app.state.reports`).
"""
