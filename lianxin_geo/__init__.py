"""lianxin-geo: 两新党建地理规划工具 (two-coverage geo planner for party building in non-public organizations)."""

__version__ = "0.1.0"
