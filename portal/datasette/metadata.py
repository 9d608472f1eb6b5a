"""Datasette metadata, generated from the Table Schema (tables.yaml): nothing here is written twice."""

from __future__ import annotations

from ..pipeline.schema import labels, package_meta, tables
from ..search import SEARCHABLE

#: facets shown on each table page
FACETS: dict[str, list[str]] = {
    "versions": [],
    "goals": ["version_id"],
    "measures": ["version_id", "goal_no", "level", "omitted"],
    "texts": ["version_id", "kind", "goal_no"],
    "events": ["version_id"],
    "projects": ["version_id", "goal_no"],
    "kpis": ["version_id", "goal_no", "kind", "target_unit", "status"],
    "related_projects": ["version_id", "goal_no"],
    "omissions": ["version_id", "level", "goal_no"],
    "reasons": ["source_page"],
    "changes": ["change_type", "goal_no", "source_page"],
    "kpi_comparison": ["status", "goal_no", "kind", "project_renamed"],
    "chapters": ["version_id", "level"],
}

#: the column that names a row, for links from other tables
LABELS = {
    "versions": "label",
    "goals": "title",
    "measures": "title",
    "texts": "text",
    "projects": "name",
    "kpis": "name",
    "kpi_comparison": "name",
    "related_projects": "name",
    "reasons": "text",
    "units": "title",
    "chapters": "title",
}


def label_sql(table: str, field: str, expr: str) -> str:
    """SQL that shows a code column's Japanese label (from tables.yaml), e.g. for c.change_type."""
    cases = " ".join(f"when '{code}' then '{label}'" for code, label in labels(table, field).items())
    return f"(case {expr} {cases} else {expr} end)"


#: canned queries: what journalists ask, with Japanese titles; codes are shown as their labels
QUERIES: dict[str, dict] = {
    "kpi_value_changes": {
        "title": "改訂で基準値・目標値・年が変わった指標",
        "description": (
            "変更前と変更後で対応する指標（数値目標と KPI）のうち、基準値・目標値・単位・年のどれかが異なるもの。"
            "0 行のときは、値や年が変わった指標はありません（指標の追加・削除は「指標の追加と削除」へ）。"
        ),
        "sql": f"""
select c.goal_no as 基本目標, coalesce(c.after_project_name, c.before_project_name, '（数値目標）') as 事業,
  c.name as 指標, {label_sql("kpi_comparison", "status", "c.status")} as 比較の結果,
  c.before_baseline_text || '（' || coalesce(c.before_baseline_label, '') || '）' as 変更前の基準値,
  c.after_baseline_text || '（' || coalesce(c.after_baseline_label, '') || '）' as 変更後の基準値,
  c.before_target_text || '（' || coalesce(c.before_target_label, '') || '）' as 変更前の目標値,
  c.after_target_text || '（' || coalesce(c.after_target_label, '') || '）' as 変更後の目標値,
  c.target_difference as 目標値の差, c.reason as 変更理由, c.after_kpi_id as 変更後の指標ID, c.before_kpi_id as 変更前の指標ID
from kpi_comparison c
where c.status in ('target_raised', 'target_lowered', 'target_changed', 'baseline_or_year_changed')
order by c.id
""",
    },
    "kpis_added_removed": {
        "title": "指標の追加と削除",
        "description": "改訂で追加・削除された指標と、その変更理由。",
        "sql": f"""
select c.id as 変更ID, {label_sql("changes", "change_type", "c.change_type")} as 変更の種類, c.goal_no as 基本目標,
  c.before_text as 変更前, c.after_text as 変更後,
  c.reason as 変更理由, c.plan_page as 計画書ページ
from changes c where c.change_type in ('kpi_added', 'kpi_removed', 'kpi_modified')
order by c.id
""",
    },
    "project_changes": {
        "title": "追加・削除・置き換えられた事業",
        "description": "改訂で追加・削除・名称変更（置き換え）・内容修正された具体的な事業と、その変更理由。",
        "sql": f"""
select c.id as 変更ID, {label_sql("changes", "change_type", "c.change_type")} as 変更の種類, c.goal_no as 基本目標,
  b.name as 変更前の事業, a.name as 変更後の事業, c.reason as 変更理由, c.plan_page as 計画書ページ
from changes c
left join projects b on c.element_table = 'projects' and b.id = c.before_id
left join projects a on c.element_table = 'projects' and a.id = c.after_id
where c.element_table = 'projects'
order by c.id
""",
    },
    "projects_without_kpi": {
        "title": "KPI が設定されていない事業",
        "description": "重要業績評価指標（KPI）が一つも設定されていない具体的な事業。資料に書かれた理由も示します。",
        "sql": """
select v.label as 版, p.goal_no as 基本目標, p.name as 事業, k.status_text as 資料の記載, p.plan_page as 計画書ページ, p.id as 事業ID
from projects p join versions v on v.id = p.version_id
left join kpis k on k.project_id = p.id and k.status = 'not_set'
where not exists (select 1 from kpis s where s.project_id = p.id and s.status = 'set')
order by p.version_id, p.goal_no, p.id
""",
    },
    "changes_by_reason": {
        "title": "変更理由ごとの変更",
        "description": "変更理由の一つひとつと、その理由による変更の数と種類。",
        "sql": f"""
select r.id as 理由ID, r.text as 変更理由, r.source_page as 資料ページ, count(c.id) as 変更の数,
  group_concat({label_sql("changes", "change_type", "c.change_type")}, '、') as 変更の種類
from reasons r left join changes c on c.reason_id = r.id
group by r.id order by r.id
""",
    },
    "kpis_per_goal": {
        "title": "基本目標ごとの指標の数",
        "description": "版と基本目標ごとの、数値目標・KPI・「設定しない」とされた事業の数。",
        "sql": """
select v.label as 版, g.goal_no as 基本目標, g.title as 基本目標の文言,
  count(case when k.kind = 'numerical_goal' then 1 end) as 数値目標,
  count(case when k.kind = 'kpi' and k.status = 'set' then 1 end) as KPI,
  count(case when k.status = 'not_set' then 1 end) as KPIを設定しない事業
from goals g join versions v on v.id = g.version_id
left join kpis k on k.version_id = g.version_id and k.goal_no = g.goal_no
group by g.id order by g.version_id, g.goal_no
""",
    },
    "kpi_flat": {
        "title": "指標の一覧（基本目標・施策・事業つき）",
        "description": "すべての指標を、基本目標・施策・事業と一つの表にしたもの。表計算ソフトでの集計向けです。",
        "sql": f"""
select v.label as 版, g.goal_no as 基本目標番号, g.title as 基本目標, m.label || m.title as 施策,
  coalesce(k.project_name, '（数値目標）') as 事業, {label_sql("kpis", "kind", "k.kind")} as 種類, k.name as 指標,
  k.baseline_value as 基準値, k.baseline_unit as 基準値の単位, k.baseline_year as 基準年, k.baseline_label as 基準年の表記,
  k.target_value as 目標値, k.target_unit as 目標値の単位, k.target_year as 目標年, k.target_label as 目標年の表記,
  {label_sql("kpis", "status", "k.status")} as 設定状況, k.status_text as 設定しない理由, k.plan_page as 計画書ページ, k.id as 指標ID
from kpis k join versions v on v.id = k.version_id
join goals g on g.version_id = k.version_id and g.goal_no = k.goal_no
left join projects p on p.id = k.project_id
left join measures m on m.id = p.measure_id
order by k.version_id, k.goal_no, k.id
""",
    },
    "omitted_parts": {
        "title": "資料で省略された部分",
        "description": "新旧対照表で「－ 省 略 －」とされ、中身が載っていない部分（変更のない部分）。",
        "sql": """
select v.label as 版, o.section as 位置, o.scope as 省略された見出し, o.plan_page as 計画書ページ
from omissions o join versions v on v.id = o.version_id
order by o.version_id, o.id
""",
    },
}


def column_descriptions(t) -> dict[str, str]:
    """Each column's Japanese title and description, and the meaning of each of its codes, from tables.yaml."""
    out = {}
    for f in t.fields:
        text = f"{f['title']}：{' '.join(f['description'].split())}"
        if f.get("categories"):
            text += "（" + "、".join(f"{c['value']} = {c['label']}" for c in f["categories"]) + "）"
        out[f["name"]] = text
    return out


def metadata() -> dict:
    """Datasette's metadata for the portal's database, from tables.yaml."""
    meta = package_meta()
    table_meta: dict[str, dict] = {}
    for t in tables():
        entry: dict = {
            "title": f"{t.title}（{t.name}）",
            "description": " ".join(t.description.split()),
            "columns": column_descriptions(t),
            "facets": FACETS.get(t.name, []),
        }
        if t.name in LABELS:
            entry["label_column"] = LABELS[t.name]
        if t.name in SEARCHABLE:
            entry["fts_table"] = f"{t.name}_fts"
            entry["fts_pk"] = "id"
        table_meta[t.name] = entry
    for name in SEARCHABLE:
        table_meta[f"{name}_fts"] = {"hidden": True}
    return {
        "title": "砂川市 総合戦略オープンデータ（SQLで調べる）",
        "description": "第２期砂川市まち・ひと・しごと創生総合戦略の変更前・変更後と変更点を、表として検索・絞り込み・SQLで調べられます。",
        "license": "CC BY 4.0（本ポータルによる加工部分）",
        "license_url": meta["license"]["path"],
        "source": meta["source"]["title"],
        "source_url": "/about#source",
        "about": "ダウンロードと出典の表記",
        "about_url": "/downloads/",
        "databases": {
            "strategy": {
                "title": meta["title"],
                "description": " ".join(meta["description"].split()),
                "license": "CC BY 4.0（本ポータルによる加工部分）",
                "license_url": meta["license"]["path"],
                "source": meta["attribution"],
                "source_url": "/about#source",
                "tables": table_meta,
                "queries": {k: {**v, "sql": v["sql"].strip()} for k, v in QUERIES.items()},
            }
        },
    }
