# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # データを自分で分析する(入門)
#
# 報告書の図表は決まった形で作られます。このノートブックでは、同じデータを
# 自分で集計し、グラフにする方法を順に示します。上から順に実行してください
# (「実行」→「すべてのセルを実行」)。`work/` にあるこのノートブックは
# 自分用のコピーなので、自由に書き換えてかまいません。

# %% tags=["parameters"]
data_dir: str = "data/higashiyamato"  # データフォルダ (リポジトリからの相対パスまたは絶対パス)
plan_id: str = "2"  # 見る計画の計画ID (plans.csv の「計画ID」)
as_of: str = ""  # 評価時点 (例: 平成24年度末)。空欄なら最新の評価

# %% [markdown]
# ## データを読み込む
#
# `explore.load` はデータフォルダを探して読み込み、検査します。どのフォルダから開いても
# `data/higashiyamato` が見つかります。表示すると、どの表に何行あるかが分かります。

# %%
from helpers import explore

data = explore.load(data_dir)
data.overview()

# %% [markdown]
# ## 項目と評価を一つの表で見る
#
# `data.items()` は、取組項目に最新の評価(`as_of` を指定するとその時点以前の最新の評価)を
# つないだ表です。列名は CSV と同じ日本語です。英語の列名がよい場合は
# `explore.load(data_dir, columns="en")` と書きます。

# %%
items = data.items(plan_id=plan_id, as_of=as_of)
items[["項目番号", "項目名", "取組目標", "時点", "取組状況"]]

# %% [markdown]
# ## 評価区分の順に数える
#
# 「取組状況」は評価尺度の順序(達成 → 一部達成 → 未達成)を持つ列です。
# `value_counts(sort=False)` や並べ替えは、五十音順ではなくこの順序になります。

# %%
items["取組状況"].value_counts(sort=False)

# %% [markdown]
# ## すぐにグラフにする
#
# `explore.chart` は、表と列名を渡すだけで報告書と同じ見た目の棒グラフを作ります(`y` を省くと件数)。
# 説明文やデータ表は要りません。グラフはインターネットに接続していなくても表示されます。

# %%
explore.chart(items, x="取組状況", color="取組状況", title="取組状況ごとの項目数")

# %% [markdown]
# 色分けの列を変えると、取組目標ごとの内訳になります。

# %%
explore.chart(items, x="取組目標", color="取組状況", title="取組目標別の取組状況")

# %% [markdown]
# ## pandas で集計する
#
# 表は pandas の DataFrame なので、pandas の機能がそのまま使えます。たとえばクロス集計です。

# %%
import pandas as pd

pd.crosstab(items["取組目標"], items["取組状況"], margins=True, margins_name="計")

# %% [markdown]
# ## 自分で Altair のグラフを書く
#
# Altair のグラフも、そのまま表示すればオフラインで描画されます。評価区分の順序も保たれます。

# %%
import altair as alt

alt.Chart(items).mark_bar().encode(y="取組目標:N", x="count():Q", color="取組状況")

# %% [markdown]
# ## 評価の履歴
#
# `data.evaluations()` は、すべての評価時点の評価を1行ずつ並べた表です。
# 同じ項目を何度か評価した計画では、時点ごとの変化が分かります。

# %%
data.evaluations(plan_id=plan_id)[["項目番号", "項目名", "時点", "取組状況"]]

# %% [markdown]
# ## 指標と実績値
#
# 指標(KPI)のある市では、`data.indicators()` が指標の一覧、`data.actuals()` が年度ごとの実績値です
# (東大和市のデータには指標がないため空の表です。架空の市 `data/example-city` に例があります)。
# 実績値は `explore.chart(data.actuals(), x="年度", y="実績値", color="指標名", mark="line")`
# のように折れ線にできます。`data.indicator_ratings()` は、計画の評価基準で計算した
# 年度ごとの評価と、公表された評価を並べた表です。

# %%
data.actuals()

# %% [markdown]
# ## 困ったときは
#
# - データやパラメーターに問題があると、日本語の短いメッセージが表示されます。
#   プログラム内部の詳しい経過が必要なときは、次のセルで `%tb` を実行してください。
# - 計画IDや評価時点の誤りは、使える値の一覧つきで知らせます。
# - 数値の欠けた行があっても、グラフと表はそのまま表示されます。
