public enum Documents {}
