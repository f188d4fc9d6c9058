package io.ghmirror; public class Main { public static void main(String[] a){} }
