"""Normalisation of what citizens say or type in Chinese: spoken digits and numerals, phone
numbers, and time expressions ("昨天晚上十点", "上周三", "一直都这样")."""
