// The Vue 3 demo: the app shell is a template (compiled in the browser), the hero a render
// function — whose <template data-variant-id> gets its children on the template element, which the
// entry shows as they are, so Vue keeps patching them. Vue owns every child of the elements.
import { createApp, defineComponent, h, ref, watch } from 'vue';
import { HERO, ROUTES, TEXT, items, routeOf, signIn } from '../shared.js';

const base = '/vue';

const Hero = defineComponent({
  props: { list: Array, count: Number },
  setup: (props) => () => h('ctfl-optimized-entry', { class: 'hero', 'entry-id': HERO.baseline }, [
    h('h1', TEXT.baseline),
    ...props.list.map((item) => h('p', { key: item.id, class: 'item' }, item.label)),
    h('p', { class: 'count' }, `Rendered ${props.count} times`),
    h('template', { 'data-variant-id': HERO.variant }, [
      h('h1', TEXT.variant),
      h('p', { class: 'count' }, `Variant rendered ${props.count} times`),
    ]),
  ]),
});

const app = createApp({
  components: { Hero },
  setup() {
    const path = ref(routeOf(base, location.pathname));
    const list = ref(items.first());
    const count = ref(0);
    const shown = ref(true);
    addEventListener('popstate', () => { path.value = routeOf(base, location.pathname); });
    // The router sets the title once the route rendered (the page event waits for it).
    watch(path, (p) => { document.title = `Vue · ${ROUTES[p]}`; }, { immediate: true, flush: 'post' });
    const go = (to) => { history.pushState({}, '', base + (to === '/' ? '/' : to)); path.value = to; };
    return {
      ROUTES, base, path, list, count, shown, go, signIn,
      add: () => { list.value = items.add(list.value); },
      remove: () => { list.value = items.remove(list.value); },
      reorder: () => { list.value = items.reorder(list.value); },
    };
  },
  template: `
    <nav>
      <a v-for="(name, to) in ROUTES" :key="to" :id="'to-' + name.toLowerCase()" :href="base + (to === '/' ? '/' : to)" @click.prevent="go(to)">{{ name }}</a>
    </nav>
    <p class="greeting">Hi <ctfl-merge-tag path="traits.firstname" fallback="there"></ctfl-merge-tag>!</p>
    <p class="cta"><ctfl-flag flag-key="hero-cta" fallback="Learn more"></ctfl-flag></p>
    <main>
      <h2 class="route">{{ ROUTES[path] }}</h2>
      <Hero v-if="shown" :key="path" :list="list" :count="count" />
      <p v-else class="unmounted">No hero</p>
    </main>
    <div class="controls">
      <button id="rerender" @click="count++">Re-render</button>
      <button id="add" @click="add">Add item</button>
      <button id="remove" @click="remove">Remove item</button>
      <button id="reorder" @click="reorder">Reorder</button>
      <button id="toggle" @click="shown = !shown">Unmount / mount</button>
      <button id="sign-in" @click="signIn()">Sign in</button>
    </div>`,
});
// The elements are custom elements, not Vue components.
app.config.compilerOptions.isCustomElement = (tag) => tag.startsWith('ctfl-');
app.mount('#app');
