"""The supervisors' dashboard (监管大屏): the page `/dashboard`, its static files (the page's
script and style, Apache ECharts built from npm into `static/vendor/`, the Beijing districts
GeoJSON in `static/map/` with its source and licence). It holds no data: it logs in with
`POST /api/agent/login` (a supervisor account) and reads `/api/reports/overview` and
`/api/reports/hot-issues`, which refuse other accounts (403)."""
