// Svelte 5: mount() of the compiled component (../build.mjs compiles .svelte with svelte/compiler).
import { mount } from 'svelte';
import App from './App.svelte';

mount(App, { target: document.getElementById('app') });
