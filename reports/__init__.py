"""Reports of the closed loop (考核): the three rates (三率: 响应率, 解决率, 满意率) and the daily
report, as DESIGN's "The closed loop" defines them, computed in the database with SQL aggregates
over `work_order`, `work_order_event` and `handling_unit` (nothing here writes).

- reports/service.py: `Reports.daily(day)`, `Reports.rates(start, end, by)`, `Reports.totals(...)`
  and the definitions (periods are Beijing local dates, [start, end)).
- reports/render.py: the same reports as an aligned Chinese text table, CSV and XLSX.
- reports/cli.py: `hotline report daily|rates` (`hot-issues` belongs to another module).
- reports/routes.py: `GET /api/reports/daily` and `GET /api/reports/rates`
  (`build_reports_router`).
"""
