"""Streamlit helpers shared by pages (the only crm package besides api/agent allowed streamlit)."""
